/**
 * Custom layer classes of @upscalerjs's ESRGAN models (esrgan-thick, esrgan-legacy "gans"),
 * recognised by class name. Their code lives in the package, not in model.json, and code is
 * never run; these two are translated from their published definitions
 * (packages/shared/src/esrgan/esrgan.ts, @upscalerjs 1.0): `MultiplyBeta` is
 * `tf.mul(x, 0.2)` (the constant is in the code; the file's `beta` is only a copy) and
 * `PixelShuffle<s>x` is `tf.depthToSpace(x, s, 'NHWC')`. A file whose `beta` differs from
 * 0.2 is refused: which of the two the package would use is the code's choice, not the file's.
 */
import { optNum } from '../config';
import type { LayerCall, LayerTranslator } from './context';
import { UnsupportedLayerConfig } from './context';

/** The constant of @upscalerjs's MultiplyBeta.call. */
const UPSCALER_BETA = 0.2;

function multiplyBeta(call: LayerCall): string {
  const { em, scope, origin } = call;
  const beta = optNum(call.config, 'beta');
  if (beta !== null && Math.abs(beta - UPSCALER_BETA) > 1e-7) {
    throw new UnsupportedLayerConfig(`beta ${beta} differs from the 0.2 that @upscalerjs's MultiplyBeta multiplies by`);
  }
  return em.node('Mul', scope, [call.inputs[0], em.floats(`${scope}/beta`, [UPSCALER_BETA], [])], {}, origin);
}

function pixelShuffle(blocksize: number): LayerTranslator {
  // tf.depthToSpace: channel index = (row offset * s + column offset) * C + c, ONNX's DCR.
  return (call) => call.em.node('DepthToSpace', call.scope, [call.inputs[0]], { blocksize, mode: 'DCR', channelsLast: true }, call.origin);
}

/** The class names @upscalerjs registers: MultiplyBeta and PixelShuffle2x … PixelShuffle8x. */
export const upscalerLayers: Readonly<Record<string, LayerTranslator>> = {
  MultiplyBeta: multiplyBeta,
  ...Object.fromEntries([2, 3, 4, 8].map((s) => [`PixelShuffle${s}x`, pixelShuffle(s)])),
};

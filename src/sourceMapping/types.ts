/**
 * The contract between the source mapper (this folder, no `vscode`) and the editor surfaces
 * (src/extension/annotations/): where in the user's code each analysed block is defined.
 * Ranges are 0-based (line and character), like VS Code's, so the extension converts nothing.
 */

/** A text file the mapper may search: the model.json itself, Python, JavaScript or TypeScript. */
export interface SourceText {
  /** Absolute path. */
  readonly path: string;
  readonly text: string;
}

export interface SourceRange {
  readonly path: string;
  readonly startLine: number;
  readonly startCharacter: number;
  readonly endLine: number;
  readonly endCharacter: number;
}

/** How a site was found; shown in hovers so the user can judge the guess. */
export type PlacementMethod =
  | 'model-file' // the layer or node entry in a TensorFlow.js model.json
  | 'pytorch' // `self.<name> = ...`, nn.Sequential / nn.ModuleList entries, block classes
  | 'keras' // a Keras layer by `name=` or by constructor order
  | 'tfjs' // a TensorFlow.js layer by `name:` or by constructor order
  | 'sidecar'; // the user's explicit mapping (sidecar file or setting)

/** One analysed block (or one layer of it) placed at a site. */
export interface PlacedInstance {
  /** BlockReport.index (1-based). */
  readonly blockIndex: number;
  /** The module path or layer name this instance has in the model, e.g. "layer1.0" or "layer1.0.conv1". */
  readonly instanceName: string;
  /**
   * Whether this instance is the block itself or one layer inside it (a layer's sourceName
   * reduced to its module path or layer name). Absent means 'block'. A block that is a single
   * layer (PyTorch `fc`, a TF.js Dense block) is listed once, as 'block'.
   */
  readonly role?: 'block' | 'layer';
}

/**
 * A line range in a source file that defines one or more analysed instances. A block class
 * used eight times is one site listing eight instances; the surfaces show the range of their
 * numbers and list each instance in the hover.
 */
export interface SourceSite {
  readonly range: SourceRange;
  readonly method: PlacementMethod;
  /** What the line defines, for the hover: "class BasicBlock", "self.conv1", "name='dense_3'". */
  readonly label: string;
  readonly instances: readonly PlacedInstance[];
}

export interface UnplacedBlock {
  readonly blockIndex: number;
  readonly name: string;
  /** Why it could not be placed: nothing matched, or which candidates were ambiguous. */
  readonly reason: string;
}

export interface SourceMapping {
  readonly sites: readonly SourceSite[];
  readonly unplaced: readonly UnplacedBlock[];
}

/**
 * The user's pointer from a model to its code, read from a sidecar file next to the model
 * (`<model file name>.gradient-lens.json` or `gradient-lens.json` in the model's folder) or
 * from the `gradientLens.sourceFiles` setting.
 */
export interface SourceHints {
  /** Absolute paths of the source files that define this model. */
  readonly sourceFiles: readonly string[];
  /**
   * Optional explicit placements: block or layer name -> "relative/file.py:LINE" (1-based line).
   * parseSourceHints resolves the file part to an absolute path ("/abs/file.py:LINE"); the
   * mapper also accepts a relative file part and matches it against the ends of source paths.
   */
  readonly placements?: Readonly<Record<string, string>>;
}

// Converts a TensorFlow.js GraphModel (model.json + weight shards) into an ONNX model, op by op (the op table is
// tfjs-ops.ts).
// Only the ops the embedded sentence encoder uses are mapped; any other op is refused by name,
// so a different graph fails loudly instead of converting wrongly.
import onnxProto from 'onnx-proto';
import { AppError } from '../errors.js';
import { DT, GraphBuilder, attrInt, attrInts } from './onnx-graph.js';
import { TF_OPS, type ConstValue, type OpContext, type TfNode } from './tfjs-ops.js';

export type { TfNode };

const { onnx } = onnxProto;

export interface TfWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

export interface TfGraphModel {
  modelTopology: { node: TfNode[] };
  weightsManifest: { paths: string[]; weights: TfWeightSpec[] }[];
}

/** How the converted graph meets the world: its TF placeholders are fed from dense token inputs. */
export interface ConvertOptions {
  /** The TF node whose first output is the model's output. */
  output: string;
  /** Name of that output in the ONNX graph. */
  outputName: string;
  /** The TF placeholders of a sparse token batch: [row, position] pairs and their token ids. */
  sparseInputs: { indices: string; values: string };
}

// TensorFlow DataType enum → ONNX TensorProto.DataType
const TF_TO_ONNX: Record<number, number> = { 1: DT.FLOAT, 3: DT.INT32, 9: DT.INT64, 10: DT.BOOL };

function readWeights(model: TfGraphModel, shards: Buffer): Map<string, ConstValue> {
  const out = new Map<string, ConstValue>();
  let offset = 0;
  for (const group of model.weightsManifest) {
    for (const w of group.weights) {
      if (w.quantization) throw new AppError('MODEL_CONVERSION_FAILED', `quantized weight ${w.name} is not supported`);
      const count = w.shape.reduce((a, b) => a * b, 1);
      const bytes = shards.subarray(offset, offset + count * 4);
      if (bytes.length !== count * 4) throw new AppError('MODEL_CONVERSION_FAILED', `weight shards end before ${w.name}`);
      const copy = new Uint8Array(bytes).buffer;
      if (w.dtype === 'float32') out.set(w.name, { dtype: DT.FLOAT, dims: w.shape, data: new Float32Array(copy) });
      else if (w.dtype === 'int32') out.set(w.name, { dtype: DT.INT32, dims: w.shape, data: new Int32Array(copy) });
      else throw new AppError('MODEL_CONVERSION_FAILED', `weight ${w.name} has unsupported dtype ${w.dtype}`);
      offset += count * 4;
    }
  }
  if (offset !== shards.length)
    throw new AppError('MODEL_CONVERSION_FAILED', `weight shards hold ${shards.length - offset} bytes more than the manifest lists`);
  return out;
}

/** Converts a TF.js graph model to serialized ONNX bytes (opset 13). Throws MODEL_CONVERSION_FAILED on anything it cannot map. */
export function convertGraphModel(model: TfGraphModel, shards: Buffer, options: ConvertOptions): Uint8Array {
  const b = new GraphBuilder();
  const consts = readWeights(model, shards);
  const byName = new Map(model.modelTopology.node.map((n) => [n.name, n]));
  const alias = new Map<string, string>(); // TF tensor ref → ONNX tensor name

  const x: OpContext = {
    b,
    consts,
    ref: (r) => {
      const key = r.endsWith(':0') ? r.slice(0, -2) : r;
      const name = alias.get(key);
      if (!name) throw new AppError('MODEL_CONVERSION_FAILED', `tensor ${r} is used before it is defined`);
      return name;
    },
    fail: (n, why) => {
      throw new AppError('MODEL_CONVERSION_FAILED', `${n.op} node ${n.name}: ${why}`);
    },
    constOf: (n, r) => {
      const c = consts.get(r);
      return c ? Array.from(c.data) : x.fail(n, `input ${r} must be a constant`);
    },
    attr: (n, key) => n.attr?.[key],
    intAttr: (n, key) => Number(n.attr?.[key]?.i ?? 0),
    boolAttr: (n, key) => Boolean(n.attr?.[key]?.b),
    dtypeAttr: (n, key) => TF_TO_ONNX[n.attr?.[key]?.type ?? 1] ?? x.fail(n, `unsupported dtype in ${key}`),
    rankOf: (n, r) => {
      const producer = byName.get(r.split(':')[0]);
      if (producer?.op === 'Transpose') return x.constOf(producer, producer.input![1]).length;
      return x.fail(n, `cannot tell the rank of ${r}`);
    },
  };

  // Dense token inputs, as transformers.js feeds them, become the sparse batch the graph expects.
  const positions = b.one('Transpose', [b.one('NonZero', ['attention_mask'])], [attrInts('perm', [1, 0])]);
  alias.set(options.sparseInputs.indices, b.one('Cast', [positions], [attrInt('to', DT.INT32)]));
  alias.set(options.sparseInputs.values, b.one('Cast', [b.one('GatherND', ['input_ids', positions])], [attrInt('to', DT.INT32)]));

  for (const n of model.modelTopology.node) {
    if (n.op === 'Placeholder') {
      if (!alias.has(n.name)) x.fail(n, 'is not one of the sparse token inputs');
      continue;
    }
    if (n.op === 'Const') {
      const c = consts.get(n.name);
      if (!c) x.fail(n, 'has no weight in the manifest');
      alias.set(n.name, b.tensor(n.name, c!.dtype, c!.dims, new Uint8Array(c!.data.buffer)));
      continue;
    }
    const handler = TF_OPS[n.op];
    if (!handler) x.fail(n, 'op is not supported');
    const ins = (n.input ?? []).filter((r) => !r.startsWith('^'));
    const outs = handler(x, n, ins);
    outs.forEach((o, i) => alias.set(i === 0 ? n.name : `${n.name}:${i}`, o));
  }

  b.op('Identity', [x.ref(options.output)], [], [options.outputName]);
  const tokenInput = (name: string) => ({
    name,
    type: { tensorType: { elemType: DT.INT64, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] } } },
  });
  const model_ = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'passage-search',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'sentence_encoder',
      node: b.nodes,
      initializer: b.initializers,
      input: [tokenInput('input_ids'), tokenInput('attention_mask')],
      output: [{ name: options.outputName, type: { tensorType: { elemType: DT.FLOAT } } }],
    },
  });
  return onnx.ModelProto.encode(model_).finish();
}

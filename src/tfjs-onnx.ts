// Converts a TensorFlow.js GraphModel (model.json + weight shards) into an ONNX model, op by op.
// Only the ops the embedded sentence encoder uses are mapped; any other op is refused by name,
// so a different graph fails loudly instead of converting wrongly.
import onnxProto from 'onnx-proto';
import { AppError } from './errors.js';
import { DT, GraphBuilder, attrInt, attrInts } from './onnx-graph.js';

const { onnx } = onnxProto;

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, any>;
}

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
const BIG = 2 ** 31 - 1;

interface ConstValue {
  dtype: number;
  dims: number[];
  data: Float32Array | Int32Array;
}

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
  if (offset !== shards.length) throw new AppError('MODEL_CONVERSION_FAILED', `weight shards hold ${shards.length - offset} bytes more than the manifest lists`);
  return out;
}

/** Converts a TF.js graph model to serialized ONNX bytes (opset 13). Throws MODEL_CONVERSION_FAILED on anything it cannot map. */
export function convertGraphModel(model: TfGraphModel, shards: Buffer, options: ConvertOptions): Uint8Array {
  const b = new GraphBuilder();
  const consts = readWeights(model, shards);
  const byName = new Map(model.modelTopology.node.map((n) => [n.name, n]));
  const alias = new Map<string, string>(); // TF tensor ref → ONNX tensor name

  const fail = (n: TfNode, why: string): never => {
    throw new AppError('MODEL_CONVERSION_FAILED', `${n.op} node ${n.name}: ${why}`);
  };
  const ref = (r: string): string => {
    const key = r.endsWith(':0') ? r.slice(0, -2) : r;
    const name = alias.get(key);
    if (!name) throw new AppError('MODEL_CONVERSION_FAILED', `tensor ${r} is used before it is defined`);
    return name;
  };
  const constOf = (n: TfNode, r: string): number[] => {
    const c = consts.get(r);
    if (!c) return fail(n, `input ${r} must be a constant`);
    return Array.from(c.data);
  };
  const scalarOf = (n: TfNode, r: string): number => constOf(n, r)[0];
  const attr = (n: TfNode, key: string): any => n.attr?.[key];
  const intAttr = (n: TfNode, key: string): number => Number(attr(n, key)?.i ?? 0);
  const boolAttr = (n: TfNode, key: string): boolean => Boolean(attr(n, key)?.b);
  const dtypeAttr = (n: TfNode, key: string): number => {
    const t = TF_TO_ONNX[attr(n, key)?.type ?? 1];
    if (!t) fail(n, `unsupported dtype in ${key}`);
    return t;
  };
  const rankOf = (n: TfNode, r: string): number => {
    const producer = byName.get(r.split(':')[0]);
    if (producer?.op === 'Transpose') return constOf(producer, producer.input![1]).length;
    return fail(n, `cannot tell the rank of ${r}`);
  };
  const swapLastTwo = (n: TfNode, r: string): string => {
    const rank = rankOf(n, r);
    const perm = [...Array(rank).keys()];
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
    return b.one('Transpose', [ref(r)], [attrInts('perm', perm)]);
  };
  const reduce = (onnxOp: string) => (n: TfNode, ins: string[]) => {
    const axes = constOf(n, ins[1]);
    const keep = attrInt('keepdims', boolAttr(n, 'keep_dims') ? 1 : 0);
    if (onnxOp === 'ReduceSum') return [b.one(onnxOp, [ref(ins[0]), b.int64(axes)], [keep])];
    return [b.one(onnxOp, [ref(ins[0])], [attrInts('axes', axes), keep])];
  };
  const unary = (onnxOp: string) => (_n: TfNode, ins: string[]) => [b.one(onnxOp, [ref(ins[0])])];
  const binary = (onnxOp: string) => (_n: TfNode, ins: string[]) => [b.one(onnxOp, [ref(ins[0]), ref(ins[1])])];

  const handlers: Record<string, (n: TfNode, ins: string[]) => string[]> = {
    Identity: (_n, ins) => [ref(ins[0])],
    Add: binary('Add'),
    BiasAdd: (n, ins) => (attr(n, 'data_format')?.s && String.fromCharCode(...attr(n, 'data_format').s) !== 'NHWC'
      ? fail(n, 'only NHWC bias is supported')
      : [b.one('Add', [ref(ins[0]), ref(ins[1])])]),
    Sub: binary('Sub'),
    Mul: binary('Mul'),
    RealDiv: binary('Div'),
    Maximum: binary('Max'),
    Less: binary('Less'),
    Greater: binary('Greater'),
    LogicalNot: unary('Not'),
    Sin: unary('Sin'),
    Cos: unary('Cos'),
    Tanh: unary('Tanh'),
    Relu: unary('Relu'),
    Square: (_n, ins) => [b.one('Mul', [ref(ins[0]), ref(ins[0])])],
    Rsqrt: (_n, ins) => [b.one('Reciprocal', [b.one('Sqrt', [ref(ins[0])])])],
    Softmax: (_n, ins) => [b.one('Softmax', [ref(ins[0])], [attrInt('axis', -1)])],
    Cast: (n, ins) => [b.one('Cast', [ref(ins[0])], [attrInt('to', dtypeAttr(n, 'DstT'))])],
    Shape: (n, ins) => [b.one('Cast', [b.one('Shape', [ref(ins[0])])], [attrInt('to', dtypeAttr(n, 'out_type'))])],
    // TF Where with one input lists the coordinates of true elements, as int64 [count, rank].
    Where: (_n, ins) => [b.one('Transpose', [b.one('NonZero', [ref(ins[0])])], [attrInts('perm', [1, 0])])],
    Reshape: (_n, ins) => [b.one('Reshape', [ref(ins[0]), b.toInt64(ref(ins[1]))])],
    GatherV2: (n, ins) => (intAttr(n, 'batch_dims') !== 0
      ? fail(n, 'batch_dims is not supported')
      : [b.one('Gather', [ref(ins[0]), ref(ins[1])], [attrInt('axis', scalarOf(n, ins[2]))])]),
    GatherNd: (_n, ins) => [b.one('GatherND', [ref(ins[0]), b.toInt64(ref(ins[1]))])],
    ScatterNd: (n, ins) => {
      const zero = n.attr?.T?.type === 1
        ? { dataType: DT.FLOAT, dims: [1], floatData: [0] }
        : { dataType: DT.INT32, dims: [1], int32Data: [0] };
      const base = b.one('ConstantOfShape', [b.toInt64(ref(ins[2]))], [
        { name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: zero },
      ]);
      return [b.one('ScatterND', [base, b.toInt64(ref(ins[0])), ref(ins[1])])];
    },
    SparseToDense: (_n, ins) => {
      const base = b.one('Expand', [ref(ins[3]), b.toInt64(ref(ins[1]))]);
      return [b.one('ScatterND', [base, b.toInt64(ref(ins[0])), ref(ins[2])])];
    },
    Max: reduce('ReduceMax'),
    Sum: reduce('ReduceSum'),
    Mean: reduce('ReduceMean'),
    Prod: reduce('ReduceProd'),
    ConcatV2: (n, ins) => {
      const axis = scalarOf(n, ins[ins.length - 1]);
      return [b.one('Concat', ins.slice(0, -1).map(ref), [attrInt('axis', axis)])];
    },
    Pack: (n, ins) => {
      const axis = intAttr(n, 'axis');
      const axes = b.int64([axis]);
      const parts = ins.map((r) => b.one('Unsqueeze', [ref(r), axes]));
      return [b.one('Concat', parts, [attrInt('axis', axis)])];
    },
    ExpandDims: (n, ins) => [b.one('Unsqueeze', [ref(ins[0]), b.int64([scalarOf(n, ins[1])])])],
    Squeeze: (n, ins) => {
      const dims: number[] = (attr(n, 'squeeze_dims')?.list?.i ?? []).map(Number);
      return [b.one('Squeeze', dims.length ? [ref(ins[0]), b.int64(dims)] : [ref(ins[0])])];
    },
    Transpose: (n, ins) => [b.one('Transpose', [ref(ins[0])], [attrInts('perm', constOf(n, ins[1]))])],
    Range: (_n, ins) => [b.one('Range', ins.map(ref))],
    SplitV: (n, ins) => {
      const sizes = constOf(n, ins[1]);
      if (sizes.some((s) => s < 0)) fail(n, 'inferred split sizes are not supported');
      const outputs = sizes.map((_, i) => (i === 0 ? b.fresh('split') : b.fresh(`split_${i}`)));
      return b.op('Split', [ref(ins[0]), b.int64(sizes)], [attrInt('axis', scalarOf(n, ins[2]))], outputs);
    },
    Slice: (n, ins) => {
      const begin = constOf(n, ins[1]);
      const size = constOf(n, ins[2]);
      const ends = size.map((s, i) => (s === -1 ? BIG : begin[i] + s));
      return [b.one('Slice', [ref(ins[0]), b.int64(begin), b.int64(ends), b.int64(begin.map((_, i) => i))])];
    },
    StridedSlice: (n, ins) => {
      if (intAttr(n, 'ellipsis_mask') || intAttr(n, 'new_axis_mask')) fail(n, 'ellipsis and new-axis masks are not supported');
      const begin = constOf(n, ins[1]);
      const end = constOf(n, ins[2]);
      const strides = constOf(n, ins[3]);
      const beginMask = intAttr(n, 'begin_mask');
      const endMask = intAttr(n, 'end_mask');
      const shrinkMask = intAttr(n, 'shrink_axis_mask');
      const starts: number[] = [];
      const ends: number[] = [];
      const shrink: number[] = [];
      begin.forEach((start, i) => {
        const bit = 1 << i;
        const forward = strides[i] > 0;
        if (shrinkMask & bit) {
          starts.push(start);
          ends.push(start === -1 ? BIG : start + 1);
          shrink.push(i);
          return;
        }
        starts.push(beginMask & bit ? (forward ? 0 : BIG) : start);
        ends.push(endMask & bit ? (forward ? BIG : -BIG) : end[i]);
      });
      const axes = begin.map((_, i) => i);
      const sliced = b.one('Slice', [ref(ins[0]), b.int64(starts), b.int64(ends), b.int64(axes), b.int64(strides)]);
      return [shrink.length ? b.one('Squeeze', [sliced, b.int64(shrink)]) : sliced];
    },
    MatMul: (n, ins) => {
      const t = (r: string, on: boolean) => (on ? b.one('Transpose', [ref(r)], [attrInts('perm', [1, 0])]) : ref(r));
      return [b.one('MatMul', [t(ins[0], boolAttr(n, 'transpose_a')), t(ins[1], boolAttr(n, 'transpose_b'))])];
    },
    BatchMatMul: (n, ins) => {
      const x = boolAttr(n, 'adj_x') ? swapLastTwo(n, ins[0]) : ref(ins[0]);
      const y = boolAttr(n, 'adj_y') ? swapLastTwo(n, ins[1]) : ref(ins[1]);
      return [b.one('MatMul', [x, y])];
    },
    // A 1×1, stride-1 convolution over NHWC is a matrix product over the channel axis.
    Conv2D: (n, ins) => {
      const kernel = consts.get(ins[1]);
      const strides = (attr(n, 'strides')?.list?.i ?? []).map(Number);
      const dilations = (attr(n, 'dilations')?.list?.i ?? [1, 1, 1, 1]).map(Number);
      const format = attr(n, 'data_format')?.s ? String.fromCharCode(...attr(n, 'data_format').s) : 'NHWC';
      if (!kernel || kernel.dims[0] !== 1 || kernel.dims[1] !== 1) return fail(n, 'only constant 1x1 kernels are supported');
      if (format !== 'NHWC' || strides.some((s: number) => s !== 1) || dilations.some((d: number) => d !== 1)) {
        return fail(n, 'only NHWC, stride 1, dilation 1 is supported');
      }
      const weight = b.tensor(b.fresh('conv_kernel'), kernel.dtype, kernel.dims.slice(2), new Uint8Array(kernel.data.buffer));
      return [b.one('MatMul', [ref(ins[0]), weight])];
    },
  };

  // Dense token inputs, as transformers.js feeds them, become the sparse batch the graph expects.
  const positions = b.one('Transpose', [b.one('NonZero', ['attention_mask'])], [attrInts('perm', [1, 0])]);
  alias.set(options.sparseInputs.indices, b.one('Cast', [positions], [attrInt('to', DT.INT32)]));
  alias.set(options.sparseInputs.values, b.one('Cast', [b.one('GatherND', ['input_ids', positions])], [attrInt('to', DT.INT32)]));

  for (const n of model.modelTopology.node) {
    if (n.op === 'Placeholder') {
      if (!alias.has(n.name)) fail(n, 'is not one of the sparse token inputs');
      continue;
    }
    if (n.op === 'Const') {
      const c = consts.get(n.name);
      if (!c) fail(n, 'has no weight in the manifest');
      alias.set(n.name, b.tensor(n.name, c!.dtype, c!.dims, new Uint8Array(c!.data.buffer)));
      continue;
    }
    const handler = handlers[n.op];
    if (!handler) fail(n, 'op is not supported');
    const ins = (n.input ?? []).filter((r) => !r.startsWith('^'));
    const outs = handler(n, ins);
    outs.forEach((o, i) => alias.set(i === 0 ? n.name : `${n.name}:${i}`, o));
  }

  b.op('Identity', [ref(options.output)], [], [options.outputName]);
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

// The TF.js ops the embedded sentence encoder uses, each mapped to ONNX nodes (opset 13). A handler gets the
// conversion's context (the graph being built, the tensors and constants known so far) and returns its outputs.
import onnxProto from 'onnx-proto';
import { DT, attrInt, attrInts, type GraphBuilder } from './onnx-graph.js';

const { onnx } = onnxProto;

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  // biome-ignore lint/suspicious/noExplicitAny: a TF.js graph's attributes are of many shapes, read by each op
  attr?: Record<string, any>;
}

export interface ConstValue {
  dtype: number;
  dims: number[];
  data: Float32Array | Int32Array;
}

/** What a handler can ask of the conversion: the builder, the ONNX name of a TF tensor, constants and attributes. */
export interface OpContext {
  b: GraphBuilder;
  consts: Map<string, ConstValue>;
  /** The ONNX tensor a TF tensor reference stands for. */
  ref(r: string): string;
  /** Refuses the node: throws MODEL_CONVERSION_FAILED naming it. */
  fail(n: TfNode, why: string): never;
  constOf(n: TfNode, r: string): number[];
  // biome-ignore lint/suspicious/noExplicitAny: as above, one attribute of any shape
  attr(n: TfNode, key: string): any;
  intAttr(n: TfNode, key: string): number;
  boolAttr(n: TfNode, key: string): boolean;
  dtypeAttr(n: TfNode, key: string): number;
  /** The rank of a tensor, where the graph tells it (the output of a Transpose). */
  rankOf(n: TfNode, r: string): number;
}

export type OpHandler = (x: OpContext, n: TfNode, ins: string[]) => string[];

const BIG = 2 ** 31 - 1;

const scalarOf = (x: OpContext, n: TfNode, r: string): number => x.constOf(n, r)[0];

function swapLastTwo(x: OpContext, n: TfNode, r: string): string {
  const rank = x.rankOf(n, r);
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return x.b.one('Transpose', [x.ref(r)], [attrInts('perm', perm)]);
}

const reduce =
  (onnxOp: string): OpHandler =>
  (x, n, ins) => {
    const axes = x.constOf(n, ins[1]);
    const keep = attrInt('keepdims', x.boolAttr(n, 'keep_dims') ? 1 : 0);
    if (onnxOp === 'ReduceSum') return [x.b.one(onnxOp, [x.ref(ins[0]), x.b.int64(axes)], [keep])];
    return [x.b.one(onnxOp, [x.ref(ins[0])], [attrInts('axes', axes), keep])];
  };
const unary =
  (onnxOp: string): OpHandler =>
  (x, _n, ins) => [x.b.one(onnxOp, [x.ref(ins[0])])];
const binary =
  (onnxOp: string): OpHandler =>
  (x, _n, ins) => [x.b.one(onnxOp, [x.ref(ins[0]), x.ref(ins[1])])];

/** TF op name → its ONNX mapping; an op not listed here is refused by name. */
export const TF_OPS: Record<string, OpHandler> = {
  Identity: (x, _n, ins) => [x.ref(ins[0])],
  Add: binary('Add'),
  BiasAdd: (x, n, ins) =>
    x.attr(n, 'data_format')?.s && String.fromCharCode(...x.attr(n, 'data_format').s) !== 'NHWC'
      ? x.fail(n, 'only NHWC bias is supported')
      : [x.b.one('Add', [x.ref(ins[0]), x.ref(ins[1])])],
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
  Square: (x, _n, ins) => [x.b.one('Mul', [x.ref(ins[0]), x.ref(ins[0])])],
  Rsqrt: (x, _n, ins) => [x.b.one('Reciprocal', [x.b.one('Sqrt', [x.ref(ins[0])])])],
  Softmax: (x, _n, ins) => [x.b.one('Softmax', [x.ref(ins[0])], [attrInt('axis', -1)])],
  Cast: (x, n, ins) => [x.b.one('Cast', [x.ref(ins[0])], [attrInt('to', x.dtypeAttr(n, 'DstT'))])],
  Shape: (x, n, ins) => [x.b.one('Cast', [x.b.one('Shape', [x.ref(ins[0])])], [attrInt('to', x.dtypeAttr(n, 'out_type'))])],
  // TF Where with one input lists the coordinates of true elements, as int64 [count, rank].
  Where: (x, _n, ins) => [x.b.one('Transpose', [x.b.one('NonZero', [x.ref(ins[0])])], [attrInts('perm', [1, 0])])],
  Reshape: (x, _n, ins) => [x.b.one('Reshape', [x.ref(ins[0]), x.b.toInt64(x.ref(ins[1]))])],
  GatherV2: (x, n, ins) =>
    x.intAttr(n, 'batch_dims') !== 0
      ? x.fail(n, 'batch_dims is not supported')
      : [x.b.one('Gather', [x.ref(ins[0]), x.ref(ins[1])], [attrInt('axis', scalarOf(x, n, ins[2]))])],
  GatherNd: (x, _n, ins) => [x.b.one('GatherND', [x.ref(ins[0]), x.b.toInt64(x.ref(ins[1]))])],
  ScatterNd: (x, n, ins) => {
    const zero = n.attr?.T?.type === 1 ? { dataType: DT.FLOAT, dims: [1], floatData: [0] } : { dataType: DT.INT32, dims: [1], int32Data: [0] };
    const base = x.b.one('ConstantOfShape', [x.b.toInt64(x.ref(ins[2]))], [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: zero }]);
    return [x.b.one('ScatterND', [base, x.b.toInt64(x.ref(ins[0])), x.ref(ins[1])])];
  },
  SparseToDense: (x, _n, ins) => {
    const base = x.b.one('Expand', [x.ref(ins[3]), x.b.toInt64(x.ref(ins[1]))]);
    return [x.b.one('ScatterND', [base, x.b.toInt64(x.ref(ins[0])), x.ref(ins[2])])];
  },
  Max: reduce('ReduceMax'),
  Sum: reduce('ReduceSum'),
  Mean: reduce('ReduceMean'),
  Prod: reduce('ReduceProd'),
  ConcatV2: (x, n, ins) => {
    const axis = scalarOf(x, n, ins[ins.length - 1]);
    return [x.b.one('Concat', ins.slice(0, -1).map(x.ref), [attrInt('axis', axis)])];
  },
  Pack: (x, n, ins) => {
    const axis = x.intAttr(n, 'axis');
    const axes = x.b.int64([axis]);
    const parts = ins.map((r) => x.b.one('Unsqueeze', [x.ref(r), axes]));
    return [x.b.one('Concat', parts, [attrInt('axis', axis)])];
  },
  ExpandDims: (x, n, ins) => [x.b.one('Unsqueeze', [x.ref(ins[0]), x.b.int64([scalarOf(x, n, ins[1])])])],
  Squeeze: (x, n, ins) => {
    const dims: number[] = (x.attr(n, 'squeeze_dims')?.list?.i ?? []).map(Number);
    return [x.b.one('Squeeze', dims.length ? [x.ref(ins[0]), x.b.int64(dims)] : [x.ref(ins[0])])];
  },
  Transpose: (x, n, ins) => [x.b.one('Transpose', [x.ref(ins[0])], [attrInts('perm', x.constOf(n, ins[1]))])],
  Range: (x, _n, ins) => [x.b.one('Range', ins.map(x.ref))],
  SplitV: (x, n, ins) => {
    const sizes = x.constOf(n, ins[1]);
    if (sizes.some((s) => s < 0)) x.fail(n, 'inferred split sizes are not supported');
    const outputs = sizes.map((_, i) => (i === 0 ? x.b.fresh('split') : x.b.fresh(`split_${i}`)));
    return x.b.op('Split', [x.ref(ins[0]), x.b.int64(sizes)], [attrInt('axis', scalarOf(x, n, ins[2]))], outputs);
  },
  Slice: (x, n, ins) => {
    const begin = x.constOf(n, ins[1]);
    const size = x.constOf(n, ins[2]);
    const ends = size.map((s, i) => (s === -1 ? BIG : begin[i] + s));
    return [x.b.one('Slice', [x.ref(ins[0]), x.b.int64(begin), x.b.int64(ends), x.b.int64(begin.map((_, i) => i))])];
  },
  StridedSlice: (x, n, ins) => {
    if (x.intAttr(n, 'ellipsis_mask') || x.intAttr(n, 'new_axis_mask')) x.fail(n, 'ellipsis and new-axis masks are not supported');
    const begin = x.constOf(n, ins[1]);
    const end = x.constOf(n, ins[2]);
    const strides = x.constOf(n, ins[3]);
    const beginMask = x.intAttr(n, 'begin_mask');
    const endMask = x.intAttr(n, 'end_mask');
    const shrinkMask = x.intAttr(n, 'shrink_axis_mask');
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
    const sliced = x.b.one('Slice', [x.ref(ins[0]), x.b.int64(starts), x.b.int64(ends), x.b.int64(axes), x.b.int64(strides)]);
    return [shrink.length ? x.b.one('Squeeze', [sliced, x.b.int64(shrink)]) : sliced];
  },
  MatMul: (x, n, ins) => {
    const t = (r: string, on: boolean) => (on ? x.b.one('Transpose', [x.ref(r)], [attrInts('perm', [1, 0])]) : x.ref(r));
    return [x.b.one('MatMul', [t(ins[0], x.boolAttr(n, 'transpose_a')), t(ins[1], x.boolAttr(n, 'transpose_b'))])];
  },
  BatchMatMul: (x, n, ins) => {
    const left = x.boolAttr(n, 'adj_x') ? swapLastTwo(x, n, ins[0]) : x.ref(ins[0]);
    const right = x.boolAttr(n, 'adj_y') ? swapLastTwo(x, n, ins[1]) : x.ref(ins[1]);
    return [x.b.one('MatMul', [left, right])];
  },
  // A 1×1, stride-1 convolution over NHWC is a matrix product over the channel axis.
  Conv2D: (x, n, ins) => {
    const kernel = x.consts.get(ins[1]);
    const strides = (x.attr(n, 'strides')?.list?.i ?? []).map(Number);
    const dilations = (x.attr(n, 'dilations')?.list?.i ?? [1, 1, 1, 1]).map(Number);
    const format = x.attr(n, 'data_format')?.s ? String.fromCharCode(...x.attr(n, 'data_format').s) : 'NHWC';
    if (kernel?.dims[0] !== 1 || kernel.dims[1] !== 1) return x.fail(n, 'only constant 1x1 kernels are supported');
    if (format !== 'NHWC' || strides.some((s: number) => s !== 1) || dilations.some((d: number) => d !== 1)) {
      return x.fail(n, 'only NHWC, stride 1, dilation 1 is supported');
    }
    const weight = x.b.tensor(x.b.fresh('conv_kernel'), kernel.dtype, kernel.dims.slice(2), new Uint8Array(kernel.data.buffer));
    return [x.b.one('MatMul', [x.ref(ins[0]), weight])];
  },
};

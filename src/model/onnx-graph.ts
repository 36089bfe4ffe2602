// A small builder of ONNX graphs: nodes and initializers under unique names, on the onnx-proto schema.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export type INode = onnxProto.onnx.INodeProto;
export type ITensor = onnxProto.onnx.ITensorProto;
export type IAttr = onnxProto.onnx.IAttributeProto;

/** ONNX TensorProto data types used here. */
export const DT = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;

export const attrInt = (name: string, i: number): IAttr => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
export const attrInts = (name: string, ints: number[]): IAttr => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });

/** Builds ONNX nodes and initializers under unique names. */
export class GraphBuilder {
  readonly nodes: INode[] = [];
  readonly initializers: ITensor[] = [];
  private counter = 0;

  fresh(hint: string): string {
    return `${hint}__${this.counter++}`;
  }

  op(opType: string, inputs: string[], attribute: IAttr[] = [], outputs = [this.fresh(opType)]): string[] {
    this.nodes.push({ opType, input: inputs, output: outputs, attribute, name: this.fresh(`n_${opType}`) });
    return outputs;
  }

  one(opType: string, inputs: string[], attribute: IAttr[] = []): string {
    return this.op(opType, inputs, attribute)[0];
  }

  tensor(name: string, dtype: number, dims: number[], raw: Uint8Array): string {
    this.initializers.push({ name, dataType: dtype, dims, rawData: raw });
    return name;
  }

  int64(values: number[], dims: number[] = [values.length]): string {
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    return this.tensor(this.fresh('const_i64'), DT.INT64, dims, new Uint8Array(data.buffer));
  }

  toInt64(name: string): string {
    return this.one('Cast', [name], [attrInt('to', DT.INT64)]);
  }
}

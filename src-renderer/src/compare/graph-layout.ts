/**
 * Vertical layout of a `models.graph` answer for the SVG view: one row per
 * box, the main path in the left lane, the shortcut path (parameter-free
 * shortcut, downsample conv and BN) in the right lane, and a collapsed stage
 * drawn as one box. Edges between boxes: straight down between neighbours,
 * an identity shortcut (a skip along the main lane) arcs out to the right,
 * and edges into and out of the shortcut lane run at right angles beside the
 * main path, so residual connections stay visible without crossing boxes.
 */
import type { GraphViewEdge, GraphViewNode, ModelGraph } from '../../../src-main/common/contract/index.ts';

export const BOX_W = 290;
export const BOX_H = 46;
export const ROW = 62;
export const LANE = 330;
export const MARGIN = 16;
/**
 * Graphs with more nodes than this start with their stages collapsed: ResNet-56 (196 nodes) and
 * ResNet-50 (175) open expanded and scroll, ResNet-110 (385) opens as one box per stage.
 */
export const COLLAPSE_ABOVE = 200;

export interface NodeBox {
  kind: 'node';
  key: string;
  node: GraphViewNode;
  x: number;
  y: number;
}
export interface GroupBox {
  kind: 'group';
  key: string;
  stage: string;
  nodes: GraphViewNode[];
  /** Output shape of the stage's last node. */
  outShape: number[];
  params: number;
  macs: number;
  prunedConvs: number;
  x: number;
  y: number;
}
export type Box = NodeBox | GroupBox;

export interface LaidEdge {
  from: string;
  to: string;
  kind: GraphViewEdge['kind'];
  /** SVG path data. */
  d: string;
}

export interface GraphLayout {
  boxes: Box[];
  edges: LaidEdge[];
  width: number;
  height: number;
}

/** Stages in order of first appearance (the nodes' `stage`). */
export function stagesOf(graph: ModelGraph): string[] {
  return [...new Set(graph.nodes.flatMap((n) => (n.stage ? [n.stage] : [])))];
}

export function layoutGraph(graph: ModelGraph, collapsed: ReadonlySet<string>): GraphLayout {
  const boxes: Box[] = [];
  const boxOf = new Map<string, Box>();
  for (const node of graph.nodes) {
    const y = MARGIN + boxes.length * ROW;
    if (node.stage && collapsed.has(node.stage)) {
      const last = boxes.at(-1);
      if (last?.kind === 'group' && last.stage === node.stage) {
        last.nodes.push(node);
        last.outShape = node.outShape;
        last.params += node.params;
        last.macs += node.macs;
        if (node.width?.pruned) last.prunedConvs++;
        boxOf.set(node.name, last);
        continue;
      }
      const group: GroupBox = {
        kind: 'group',
        key: `group:${node.stage}`,
        stage: node.stage,
        nodes: [node],
        outShape: node.outShape,
        params: node.params,
        macs: node.macs,
        prunedConvs: node.width?.pruned ? 1 : 0,
        x: MARGIN,
        y,
      };
      boxes.push(group);
      boxOf.set(node.name, group);
      continue;
    }
    const box: NodeBox = { kind: 'node', key: node.name, node, x: MARGIN + (node.shortcut ? LANE : 0), y };
    boxes.push(box);
    boxOf.set(node.name, box);
  }
  const rowOf = new Map(boxes.map((b, i) => [b, i]));
  const edges: LaidEdge[] = [];
  const seen = new Set<string>();
  for (const e of graph.edges) {
    const a = boxOf.get(e.from);
    const b = boxOf.get(e.to);
    if (!a || !b || a === b) continue;
    const id = `${a.key}->${b.key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const x1 = a.x + BOX_W / 2;
    const y1 = a.y + BOX_H;
    const x2 = b.x + BOX_W / 2;
    const y2 = b.y;
    let d: string;
    // Rows between the two hold only boxes of the other lane (a downsampling shortcut beside the main path): straight down.
    const between = boxes.slice(rowOf.get(a)! + 1, rowOf.get(b)!);
    if (a.x === b.x && between.every((box) => box.x !== a.x)) {
      d = `M${x1},${y1} L${x2},${y2}`;
    } else if (a.x === b.x) {
      // A skip along one lane: out to the right of the boxes and back in.
      const out = a.x + BOX_W + 24;
      d = `M${a.x + BOX_W},${a.y + BOX_H / 2} C${out},${a.y + BOX_H / 2} ${out},${b.y + BOX_H / 2} ${b.x + BOX_W},${b.y + BOX_H / 2}`;
    } else if (b.x > a.x) {
      // Into the shortcut lane: out of the source's right side, across, then down to the target.
      d = `M${a.x + BOX_W},${a.y + BOX_H / 2} H${x2} V${y2}`;
    } else {
      // Back from the shortcut lane: down, then into the target's right side.
      d = `M${x1},${y1} V${b.y + BOX_H / 2} H${b.x + BOX_W}`;
    }
    edges.push({ from: a.key, to: b.key, kind: e.kind, d });
  }
  const hasShortcutLane = boxes.some((b) => b.x > MARGIN);
  return {
    boxes,
    edges,
    width: MARGIN * 2 + BOX_W + (hasShortcutLane ? LANE : 40),
    height: MARGIN * 2 + boxes.length * ROW,
  };
}

/** "32x32x16" for [32, 32, 16]. */
export const shapeText = (shape: number[]): string => shape.join('x');

import type { AnyStateMachine, AnyStateNode } from 'xstate';

const DONE = /^xstate\.done\.actor\.(.+)$/;
const ERROR = /^xstate\.error\.actor\.(.+)$/;

/** Mermaid-safe identifier of a state node, unique within its machine. */
function idOf(node: AnyStateNode): string {
  return node.path.length === 0 ? 'root' : node.path.join('__').replace(/[^A-Za-z0-9_]/g, '_');
}

function eventLabel(eventType: string, node: AnyStateNode): string {
  const afterPrefix = 'xstate.after.';
  const afterSuffix = `.${node.id}`;
  if (eventType.startsWith(afterPrefix) && eventType.endsWith(afterSuffix)) {
    return `after ${eventType.slice(afterPrefix.length, -afterSuffix.length)}`;
  }
  const done = DONE.exec(eventType);
  if (done) return `done ${done[1]}`;
  const error = ERROR.exec(eventType);
  if (error) return `error ${error[1]}`;
  return eventType;
}

function guardLabel(guard: unknown): string {
  if (!guard) return '';
  const type = typeof guard === 'string' ? guard : (guard as { type?: unknown }).type;
  return typeof type === 'string' ? ` [${type}]` : ' [guard]';
}

function transitionsOf(node: AnyStateNode, indent: string): string[] {
  const lines: string[] = [];
  const from = idOf(node);
  const entries: Array<[string, AnyStateNode['always']]> = [...node.transitions.entries()];
  if (node.always) entries.push(['always', node.always]);
  for (const [eventType, definitions] of entries) {
    for (const definition of definitions ?? []) {
      const label = `${eventLabel(eventType, node)}${guardLabel(definition.guard)}`;
      const targets = definition.target ?? [];
      if (targets.length === 0) continue; // targetless: actions only, nothing to draw
      for (const target of targets) lines.push(`${indent}${from} --> ${idOf(target)}: ${label}`);
    }
  }
  return lines;
}

function stateBlock(node: AnyStateNode, indent: string): string[] {
  const lines: string[] = [];
  const children = Object.values(node.states) as AnyStateNode[];
  if (node.type === 'compound') {
    const initial = node.initial.target[0];
    if (initial) lines.push(`${indent}[*] --> ${idOf(initial)}`);
  }
  children.forEach((child, index) => {
    // mermaid separates the regions of a parallel state with --
    if (node.type === 'parallel' && index > 0) lines.push(`${indent}--`);
    if (child.key !== idOf(child)) lines.push(`${indent}state "${child.key}" as ${idOf(child)}`);
    if (Object.keys(child.states).length > 0) {
      lines.push(`${indent}state ${idOf(child)} {`);
      lines.push(...stateBlock(child, `${indent}  `));
      lines.push(`${indent}}`);
    }
    if (child.type === 'final') lines.push(`${indent}${idOf(child)} --> [*]`);
  });
  for (const child of children) lines.push(...transitionsOf(child, indent));
  return lines;
}

/** A Mermaid `stateDiagram-v2` drawn from a machine definition (states, events, guards, delays). */
export function toMermaid(machine: AnyStateMachine): string {
  const lines = ['stateDiagram-v2', ...stateBlock(machine.root, '  ')];
  return `${lines.join('\n')}\n`;
}

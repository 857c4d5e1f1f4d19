/**
 * Name of the gate as it appears in events: its `name`, or its kind. In a file of its own, without the spec schema:
 * the machine names gates at every verdict, and importing it must not load zod and yaml (the spec parser's
 * dependencies) into a process that only replays a log (`@sluice/core/replay`, docs/startup.md).
 */
export function gateNameOf(gate: { kind: string; name?: string | undefined }): string {
  return gate.name ?? gate.kind;
}

import { JSON_DEPTH_MAX, jsonDepthProblem, parseTrafficModel, SpecValidationError, type TrafficModel } from '@sluice/core';
import { CliExit, EXIT } from './exitCodes.js';
import type { CliIo } from './main.js';
import { DOCUMENT_FILE_BYTES_MAX, readBoundedFile, unreadableReason } from './boundedFile.js';

/**
 * Reads and validates a traffic model file (docs/simulate.md) for `sluice simulate` and `sluice plan`. An unreadable,
 * oversized, too deep, non-JSON or invalid file is a bad argument: every problem is printed with the file's name and
 * the command exits 2.
 */
export function readTrafficModelFile(file: string, command: string, io: CliIo): TrafficModel {
  let text: string;
  try {
    text = readBoundedFile(file, DOCUMENT_FILE_BYTES_MAX);
  } catch (error) {
    io.err(`sluice ${command}: cannot read the traffic model ${file}: ${unreadableReason(error)}\n`);
    throw new CliExit(EXIT.usage);
  }
  let json: unknown;
  try {
    // JSON.parse is iterative, but what reads the model after it recurses: bound the depth first.
    const tooDeep = jsonDepthProblem(text, JSON_DEPTH_MAX);
    if (tooDeep) throw new Error(`${tooDeep}; a traffic model needs no more than 6`);
    json = JSON.parse(text);
  } catch (error) {
    io.err(`sluice ${command}: ${file}: not valid JSON (${(error as Error).message}); the traffic model is a JSON object (docs/simulate.md)\n`);
    throw new CliExit(EXIT.usage);
  }
  try {
    return parseTrafficModel(json, file);
  } catch (error) {
    if (!(error instanceof SpecValidationError)) throw error;
    io.err(`sluice ${command}: ${error.message}\n(the traffic model's fields are in docs/simulate.md)\n`);
    throw new CliExit(EXIT.usage);
  }
}

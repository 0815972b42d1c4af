/**
 * Turns class label texts (one per sample, streamed) into class indices 0..k-1.
 *
 *   given `classes`          label text must equal one of them; index = its position
 *   numbers                  the distinct values sorted ascending; index = rank (e.g. labels
 *                            1..3 -> 0..2, {0, 65535} -> 0, 1: a class per distinct value)
 *   any other text           sorted by UTF-16 code units (locale-independent); index = rank
 *
 * Texts are trimmed of surrounding spaces. Indices are returned in the smallest label array
 * that holds them: Uint8Array (k <= 256), Uint16Array (k <= 65536), else Uint32Array.
 */

import type { LabelArray } from './dataset.js';
import { growableUint32Array } from './growable.js';
import { parseDecimal } from './number-text.js';

export interface ClassLabels {
  labels: LabelArray;
  /** classNames[index] is the label text of class `index`. */
  classNames: string[];
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The smallest unsigned label array that can hold indices 0..classCount-1. */
export function allocateLabels(count: number, classCount: number): LabelArray {
  if (classCount <= 0x100) return new Uint8Array(count);
  if (classCount <= 0x10000) return new Uint16Array(count);
  return new Uint32Array(count);
}

export class ClassLabelCollector {
  /** Distinct label texts in order of first appearance; a sample stores its text's position here. */
  private readonly distinctTexts: string[] = [];
  private readonly idOfText = new Map<string, number>();
  private readonly sampleIds = growableUint32Array();
  private readonly givenClasses: readonly string[] | undefined;

  /** `classes`, when given, fixes the class names and their order. */
  constructor(classes?: readonly string[]) {
    if (classes !== undefined) {
      if (classes.length === 0) throw new RangeError('classes must not be empty');
      const trimmed = classes.map((name) => name.trim());
      const duplicate = trimmed.find((name, i) => trimmed.indexOf(name) !== i);
      if (duplicate !== undefined) throw new RangeError(`classes lists '${duplicate}' twice`);
      this.givenClasses = trimmed;
      trimmed.forEach((name, index) => {
        this.distinctTexts.push(name);
        this.idOfText.set(name, index);
      });
    }
  }

  /** Number of labels added so far. */
  get count(): number {
    return this.sampleIds.length;
  }

  /**
   * Records one sample's label. Returns false (and records nothing) when `classes` was
   * given and the text is not one of them.
   */
  add(text: string): boolean {
    const trimmed = text.trim();
    let id = this.idOfText.get(trimmed);
    if (id === undefined) {
      if (this.givenClasses) return false;
      id = this.distinctTexts.length;
      this.distinctTexts.push(trimmed);
      this.idOfText.set(trimmed, id);
    }
    this.sampleIds.push(id);
    return true;
  }

  /** The class index of every sample added, and the name of every class. */
  finish(): ClassLabels {
    const { classIndexOfId, classNames } = this.assignClassIndices();
    const ids = this.sampleIds.toArray();
    const labels = allocateLabels(ids.length, classNames.length);
    for (let i = 0; i < ids.length; i++) labels[i] = classIndexOfId[ids[i]];
    return { labels, classNames };
  }

  private assignClassIndices(): { classIndexOfId: number[]; classNames: string[] } {
    const texts = this.distinctTexts;
    if (this.givenClasses) {
      return { classIndexOfId: texts.map((_, id) => id), classNames: [...this.givenClasses] };
    }

    const values = texts.map(parseDecimal);
    const allNumeric = values.every((value) => !Number.isNaN(value));
    if (allNumeric) {
      // Equal values written differently ('1', '1.0') are one class, named as first seen.
      const distinctValues = [...new Set(values)].sort((a, b) => a - b);
      const rankOfValue = new Map(distinctValues.map((value, rank) => [value, rank]));
      const classNames = distinctValues.map((value) => texts[values.indexOf(value)]);
      return { classIndexOfId: values.map((value) => rankOfValue.get(value)!), classNames };
    }

    const classNames = [...texts].sort(compareCodeUnits);
    const rankOfText = new Map(classNames.map((name, rank) => [name, rank]));
    return { classIndexOfId: texts.map((text) => rankOfText.get(text)!), classNames };
  }
}

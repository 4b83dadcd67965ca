import { describe, it, expect } from 'vitest';
import { mapRgba } from '../../src-renderer/src/localize/map-colors.ts';
import { heatmapRgb } from '../../src-main/localize/heatmap.ts';
import { heatmapColormaps } from '../../src-main/common/contract/index.ts';

describe('Localization page colours', () => {
  it.each(heatmapColormaps)('%s: the page colours a map as the PNGs of localize.maps do', (colormap) => {
    const values = Array.from({ length: 256 }, (_, v) => v);
    const page = mapRgba(values, colormap);
    const png = heatmapRgb(Float32Array.from(values, (v) => v / 255), 256, 1, colormap);
    for (let v = 0; v < 256; v++) {
      expect([page[v * 4], page[v * 4 + 1], page[v * 4 + 2], page[v * 4 + 3]], `${colormap} ${v}`).toEqual([png[v * 3], png[v * 3 + 1], png[v * 3 + 2], 255]);
    }
    // The three colormaps differ: 0 is dark blue (jet), dark purple (viridis), black (gray).
    expect([...page.subarray(0, 3)]).toEqual({ jet: [0, 0, 128], viridis: [68, 1, 84], gray: [0, 0, 0] }[colormap]);
  });
});

export interface Bar {
  label: string;
  value: number;
  unit: string;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/** A small horizontal bar chart as SVG: one group of bars per measure, scaled per group. */
export function barChart(groups: Array<{ title: string; bars: Bar[] }>): string {
  const width = 760;
  const labelWidth = 260;
  const barHeight = 22;
  let y = 20;
  const parts: string[] = [];
  for (const group of groups) {
    parts.push(`<text x="10" y="${y}" font-weight="bold">${escapeXml(group.title)}</text>`);
    y += 10;
    const max = Math.max(...group.bars.map((b) => b.value), 1);
    for (const bar of group.bars) {
      const length = Math.max(1, ((width - labelWidth - 140) * bar.value) / max);
      parts.push(
        `<text x="10" y="${y + 16}">${escapeXml(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${length.toFixed(1)}" height="${barHeight - 6}" fill="#4c78a8"/>`,
        `<text x="${labelWidth + length + 6}" y="${y + 16}">${bar.value} ${escapeXml(bar.unit)}</text>`,
      );
      y += barHeight;
    }
    y += 24;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" font-family="sans-serif" font-size="13">`,
    `<title>statewire next to raw ws (npm run bench)</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

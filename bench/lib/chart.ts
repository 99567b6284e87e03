export interface Bar {
  label: string;
  /** null: not measured in this run; `note` says why. */
  value: number | null;
  unit: string;
  note?: string;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/** A small horizontal bar chart as SVG: one group of bars per measure, scaled per group. */
export function barChart(groups: Array<{ title: string; bars: Bar[] }>): string {
  const width = 900;
  const labelWidth = 260;
  const barHeight = 22;
  let y = 20;
  const parts: string[] = [];
  for (const group of groups) {
    parts.push(`<text x="10" y="${y}" font-weight="bold">${escapeXml(group.title)}</text>`);
    y += 10;
    const max = Math.max(...group.bars.map((b) => b.value ?? 0), 1);
    for (const bar of group.bars) {
      if (bar.value === null) {
        parts.push(
          `<text x="10" y="${y + 16}">${escapeXml(bar.label)}</text>`,
          `<text x="${labelWidth}" y="${y + 16}" fill="#888">${escapeXml(bar.note ?? 'not measured')}</text>`,
        );
        y += barHeight;
        continue;
      }
      const length = Math.max(1, ((width - labelWidth - 260) * bar.value) / max);
      parts.push(
        `<text x="10" y="${y + 16}">${escapeXml(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${length.toFixed(1)}" height="${barHeight - 6}" fill="#4c78a8"/>`,
        `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 16}">${bar.value} ${escapeXml(bar.unit)}${bar.note ? ` ${escapeXml(bar.note)}` : ''}</text>`,
      );
      y += barHeight;
    }
    y += 24;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" font-family="sans-serif" font-size="13">`,
    `<title>statewire next to nats, socket.io and raw ws (npm run bench)</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

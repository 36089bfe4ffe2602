// The documents of the formats tests: generators in scripts/documents.ts, and the mixed corpus of the formats issue.
import { docxBytes, latin1, pdfBytes, webPage, writeFiles } from '../../scripts/documents.js';

export { docxBytes, latin1, pdfBytes, pdfWithoutText, utf16, webPage, writeFiles } from '../../scripts/documents.js';

/** A paragraph of filler about orchards, so that a page reads like a page (Readability wants an article's length). */
const FILLER = 'The orchard keepers note the weather each morning and the state of the fruit each evening, and their ledgers go back more than a century.';

/**
 * The corpus of the formats issue: a web page with boilerplate, a two-page PDF, a Word file, Markdown with front
 * matter, a Latin-1 text and an unsupported file. Each answer sits in one format only.
 */
export async function writeMixedCorpus(dir: string): Promise<void> {
  await writeFiles(dir, {
    'pages/pears.html': webPage(
      'Keeping pears through winter',
      `<h1>Keeping pears through winter</h1>
       <p>Late pears are picked hard and green, then ripened slowly in a cool dark cellar where they keep until February. ${FILLER}</p>
       <h2>Wrapping</h2>
       <p>Each pear is wrapped in a square of newspaper so that one rotten fruit cannot spoil its neighbours on the rack. ${FILLER}</p>`,
    ),
    'reports/orchard-report.pdf': await pdfBytes(
      [
        ['The apple harvest began in the second week of September across the valley.', 'Pickers filled four hundred crates before the first frost arrived.'],
        [
          'The cider press at Holloway Farm was rebuilt in 1887 after a fire destroyed the old oak screw.',
          'Its new iron frame still stands in the barn today.',
        ],
      ],
      { title: 'Orchard report 2026' },
    ),
    'reports/budget.docx': await docxBytes([
      [1, 'Committee budget'],
      'The committee met in March to review the spending of the orchard trust.',
      [2, 'Equipment'],
      'The committee approved a new hydraulic press costing four thousand pounds.',
    ]),
    'notes/grafting.md': `---
title: Grafting notes
author: Ruth
tags: [orchard, grafting]
---
# Whip and tongue

The **whip and tongue graft** joins a scion to a rootstock of the _same thickness_, as [the RHS guide](https://example.org/rhs) shows.

## Aftercare

Seal the union with \`grafting wax\` and bind it with tape until the buds break in spring.
`,
    'notes/recettes.txt': latin1('Crème brûlée à la poire : le pâtissier français préfère des poires mûres, pelées et pochées à feu très doux.\n'),
    'data/prices.csv': 'variety,price\nConference,1.20\nComice,1.45\n',
  });
}

export { docxBomb, docxOf, pdfPageTreeBomb, pdfStreamBomb, pdfXObjectBomb, slowInputs } from '../../scripts/hostile-documents.js';

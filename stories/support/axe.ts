/** Accessibility checks in play functions: axe-core with the WCAG 2.1 A and AA rules. */
import axe from 'axe-core';

/** The WCAG A/AA violations under `root` (shadow roots included), one line each. */
export async function axeViolations(root: Element): Promise<string[]> {
  const results = await axe.run(root, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    resultTypes: ['violations'],
  });
  return results.violations.flatMap((violation) =>
    violation.nodes.map((node) => `${violation.id}: ${node.failureSummary?.replace(/\s+/g, ' ') ?? violation.help} at ${JSON.stringify(node.target)}`),
  );
}

/**
 * `fieldboot iso ...`. Placeholder until its issue lands: says so and exits 2.
 */
export async function run(argv: string[]): Promise<number> {
  process.stderr.write(`fieldboot: "iso ${argv.join(' ')}" is not available in this version yet\n`);
  return 2;
}

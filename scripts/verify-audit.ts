// verify-audit <audit file | audit folder | data_dir>: checks the audit log's hash chain (SPEC §9).
// Exit 0: intact. Exit 1: the first bad line is named (file, line, what is wrong). Exit 2: nothing
// to verify (no such path, no audit files) or bad usage.
import { verifyAudit, type VerifyReport } from '../server/src/audit/index.js';

function describe(report: VerifyReport): string[] {
  const out: string[] = [];
  if (report.failure) {
    const { file, line, kind, message } = report.failure;
    out.push(`FAIL ${file}:${line}: ${message} [${kind}]`);
    out.push(`checked ${report.entries} intact entr${report.entries === 1 ? 'y' : 'ies'} before it`);
    return out;
  }
  const head = report.head ? `last seq ${report.head.seq}, last hash ${report.head.hash}` : 'no entries yet';
  out.push(`ok: ${report.entries} entr${report.entries === 1 ? 'y' : 'ies'} in ${report.files.length} file(s); ${head}`);
  if (report.tornTail) {
    const { file, line, bytes } = report.tornTail;
    out.push(`note ${file}:${line}: an unfinished last line (${bytes} bytes): a write cut short by a crash, never acknowledged; the service truncates it on its next start`);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const target = argv[0];
  if (argv.length !== 1 || target === undefined || target === '-h' || target === '--help') {
    process.stderr.write('usage: verify-audit <audit file | audit folder | data_dir>\n');
    return 2;
  }
  let report: VerifyReport;
  try {
    report = await verifyAudit(target);
  } catch (error) {
    process.stderr.write(`verify-audit: ${(error as Error).message}\n`);
    return 2;
  }
  const lines = describe(report).join('\n') + '\n';
  if (report.ok) process.stdout.write(lines);
  else process.stderr.write(lines);
  return report.ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));

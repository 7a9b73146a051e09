import { DAY_MS, isoSeconds, type TenantContext } from './context.js';
import { distinctIndexes } from './groups.js';
import { hash32, randomFor, Stream, type Random } from './random.js';
import type { MachineVulnerabilityRow, Vulnerability } from './types.js';

interface Product {
  vendor: string;
  name: string;
  /** Microsoft products are fixed by a KB; others by an upgrade. */
  fixedByKb: boolean;
}

const PRODUCTS: Product[] = [
  { vendor: 'microsoft', name: 'windows_10', fixedByKb: true },
  { vendor: 'microsoft', name: 'windows_server_2022', fixedByKb: true },
  { vendor: 'microsoft', name: 'office', fixedByKb: true },
  { vendor: 'google', name: 'chrome', fixedByKb: false },
  { vendor: 'mozilla', name: 'firefox', fixedByKb: false },
  { vendor: 'openssl', name: 'openssl', fixedByKb: false },
  { vendor: 'oracle', name: 'jre', fixedByKb: false },
  { vendor: 'adobe', name: 'acrobat_reader_dc', fixedByKb: false },
  { vendor: 'haxx', name: 'curl', fixedByKb: false },
  { vendor: 'canonical', name: 'linux_kernel', fixedByKb: false },
];

const CHROMIUM_PAIR: Product[] = [
  { vendor: 'google', name: 'chrome', fixedByKb: false },
  { vendor: 'microsoft', name: 'edge_chromium', fixedByKb: false },
];

const EXPLOIT_TYPES = [
  ['Remote'],
  ['PrivilegeEscalation'],
  ['Dos'],
  ['Remote', 'PrivilegeEscalation'],
  ['Local'],
];

const VECTORS = [
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C',
  'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C',
  'CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N/E:U/RL:O/RC:C',
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H/E:F/RL:O/RC:C',
  '',
];

export function severityOf(cvss: number): Vulnerability['severity'] {
  if (cvss >= 9) return 'Critical';
  if (cvss >= 7) return 'High';
  if (cvss >= 4) return 'Medium';
  return 'Low';
}

/**
 * The CVE catalogue: CVE i has a fixed id, score and product(s). Indexes past the initial size are
 * CVEs published later (churn adds them).
 */
export class CveCatalog {
  private static readonly NUMBER_BASE = 20000;

  /** CVE ids by index: the catalogue is small and ids are needed for every machine × CVE pair. */
  private readonly ids: string[] = [];

  constructor(private readonly ctx: TenantContext) {}

  id(index: number): string {
    return (this.ids[index] ??= this.makeId(index));
  }

  private makeId(index: number): string {
    const year =
      index >= this.ctx.sizes.cves
        ? new Date(this.ctx.now).getUTCFullYear()
        : 2015 + (hash32(this.ctx.seed, Stream.cve, index, 1) % 11);
    return `CVE-${year}-${CveCatalog.NUMBER_BASE + index}`;
  }

  indexOf(id: string): number | undefined {
    const match = /^CVE-\d{4}-(\d+)$/i.exec(id);
    if (!match) return undefined;
    const index = Number(match[1]) - CveCatalog.NUMBER_BASE;
    return index >= 0 && this.id(index) === id.toUpperCase() ? index : undefined;
  }

  /** Drawn first from the CVE's stream, so rows can get the severity without the whole object. */
  private cvss(r: Random): number {
    return Math.round((2 + r.next() * 8) * 10) / 10;
  }

  vulnerability(index: number, exposedMachines: number): Vulnerability {
    const ctx = this.ctx;
    const r = randomFor(ctx.seed, Stream.cve, index);
    const id = this.id(index);
    const year = Number(id.slice(4, 8));
    const cvssV3 = this.cvss(r);
    const publicExploit = r.chance(0.3);
    const exploitVerified = publicExploit && r.chance(0.4);
    const published = Math.min(Date.UTC(year, r.int(12), 1 + r.int(28)), ctx.now - 2 * DAY_MS);
    const updated = Math.min(published + r.int(200) * DAY_MS, ctx.now - DAY_MS);
    const product = this.products(index)[0] as Product;
    // Real updatedOn/firstDetected carry a time of day; its own stream keeps the rest unchanged.
    const clock = randomFor(ctx.seed, Stream.cve, index, 1);
    const timeOfDay = (): number => clock.int(DAY_MS / 1000) * 1000;
    const updatedAt = updated + timeOfDay();
    return {
      id,
      name: id,
      description: `Summary: A ${publicExploit ? 'remotely exploitable ' : ''}vulnerability exists in ${product.vendor} ${product.name.replace(/_/g, ' ')}.`,
      severity: severityOf(cvssV3),
      cvssV3,
      cvssVector: r.pick(VECTORS),
      exposedMachines,
      publishedOn: isoSeconds(Math.floor(published / DAY_MS) * DAY_MS),
      updatedOn: isoSeconds(updatedAt),
      firstDetected: isoSeconds(Math.min(updatedAt + r.int(30) * DAY_MS + timeOfDay(), ctx.now)),
      publicExploit,
      exploitVerified,
      exploitInKit: exploitVerified && r.chance(0.3),
      exploitTypes: publicExploit ? r.pick(EXPLOIT_TYPES) : [],
      exploitUris: publicExploit
        ? [`https://www.exploit-db.com/exploits/${50000 + (index % 9000)}`]
        : [],
      cveSupportability: r.chance(0.95) ? 'Supported' : '',
    };
  }

  /** Chromium CVEs hit two products, so the bulk export has more rows than machine × CVE pairs. */
  products(index: number): Product[] {
    if (index % 7 === 3) return CHROMIUM_PAIR;
    return [PRODUCTS[hash32(this.ctx.seed, Stream.cve, index, 2) % PRODUCTS.length] as Product];
  }

  rows(machineId: string, cveIndex: number): MachineVulnerabilityRow[] {
    const cveId = this.id(cveIndex);
    const severity = severityOf(this.cvss(randomFor(this.ctx.seed, Stream.cve, cveIndex)));
    return this.products(cveIndex).map((product, position) => {
      const r = randomFor(this.ctx.seed, Stream.cveProduct, cveIndex, position);
      const productVersion = `${r.between(1, 120)}.${r.int(10)}.${r.between(1000, 9999)}.${r.int(300)}`;
      const fixingKbId = product.fixedByKb ? String(5000000 + r.int(99999)) : null;
      return {
        id: [machineId, cveId, product.vendor, product.name, productVersion, fixingKbId ?? ''].join(
          '-_-',
        ),
        cveId,
        machineId,
        fixingKbId,
        productName: product.name,
        productVendor: product.vendor,
        productVersion,
        severity,
      };
    });
  }

  /**
   * The CVEs a machine starts with: a few "coverage" CVEs so every catalogue entry is on some
   * machine when machines × per-machine ≥ CVEs, then skewed picks so a few CVEs are everywhere.
   */
  baseCvesOf(machineIndex: number): number[] {
    const { cves, machines, vulnerabilitiesPerMachine } = this.ctx.sizes;
    const perMachine = Math.min(vulnerabilitiesPerMachine, cves);
    if (perMachine <= 0) return [];
    const coverage = Math.min(perMachine, Math.ceil(cves / Math.max(1, machines)));
    const chosen = new Set<number>();
    for (let j = 0; j < coverage; j++) chosen.add((machineIndex * coverage + j) % cves);
    const r = randomFor(this.ctx.seed, Stream.machineCves, machineIndex);
    for (let attempt = 0; chosen.size < perMachine && attempt < perMachine * 8; attempt++)
      chosen.add(r.skewed(cves));
    if (chosen.size < perMachine) {
      for (const c of distinctIndexes(r, cves, cves)) {
        chosen.add(c);
        if (chosen.size === perMachine) break;
      }
    }
    return [...chosen];
  }
}

// Name/value table of one entity's or relationship's properties, metadata first.
import { formatProperty } from '../util/format';

export function PropertyTable({ record }: { record: Record<string, unknown> }) {
  const keys = Object.keys(record).sort((a, b) => {
    const meta = Number(b.startsWith('_')) - Number(a.startsWith('_'));
    return meta !== 0 ? meta : a.localeCompare(b);
  });
  return (
    <table className="properties">
      <tbody>
        {keys.map((k) => (
          <tr key={k}>
            <th>{k}</th>
            <td className="break">{formatProperty(k, record[k])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A rule that holds on any synced tenant (every machine): its alert opens when it is evaluated. */
export function everyMachineRule(name: string, extraActions: string[] = []): string {
  return `
- name: ${name}
  description: Every Defender machine.
  question:
    queries:
      - name: machines
        query: FIND microsoft_defender_machine
  operations:
    - when: { type: FILTER, condition: ["AND", ["queries.machines.total", ">", 0]] }
      actions:
        - { type: SET_PROPERTY, targetProperty: alertLevel, targetValue: HIGH }
        - { type: CREATE_ALERT }
${extraActions.map((action) => `        - ${action}\n`).join('')}`;
}

/** Word lists the generators draw from. */

export const GIVEN_NAMES = [
  'Adele',
  'Alex',
  'Allan',
  'Bianca',
  'Brian',
  'Carmen',
  'Chen',
  'Christie',
  'Debra',
  'Diego',
  'Elena',
  'Emily',
  'Enrico',
  'Fatima',
  'Grady',
  'Hana',
  'Henrietta',
  'Isaiah',
  'Jakob',
  'Johanna',
  'Joni',
  'Kenji',
  'Lee',
  'Lidia',
  'Lynne',
  'Maria',
  'Megan',
  'Miriam',
  'Nestor',
  'Olga',
  'Patti',
  'Pradeep',
  'Priya',
  'Raul',
  'Sakura',
  'Samuel',
  'Sofia',
  'Tomasz',
  'Wei',
  'Zainab',
] as const;

export const SURNAMES = [
  'Vance',
  'Wilber',
  'Deyoung',
  'Pinchon',
  'Johnson',
  'Ramos',
  'Li',
  'Cline',
  'Berg',
  'Siciliani',
  'Petrova',
  'Braun',
  'Rossi',
  'Haddad',
  'Archie',
  'Sato',
  'Mueller',
  'Okafor',
  'Novak',
  'Lindqvist',
  'Sherman',
  'Tanaka',
  'Gonzales',
  'Holloway',
  'Patel',
  'Garcia',
  'Bowen',
  'Nwosu',
  'Strickland',
  'Kowalski',
  'Fernandez',
  'Gupta',
  'Iyer',
  'Silva',
  'Yamamoto',
  'Nakamura',
  'Costa',
  'Wojcik',
  'Zhang',
  'Hassan',
] as const;

export const ORGANIZATIONS = [
  'Contoso',
  'Fabrikam',
  'Northwind',
  'Adatum',
  'Tailspin',
  'Wingtip',
  'Litware',
  'Proseware',
] as const;

export const GUEST_DOMAINS = [
  'fabrikam.com',
  'partner.example',
  'gmail.com',
  'outlook.com',
  'vendor.io',
];

export const JOB_TITLES = [
  'Software Engineer',
  'Accountant',
  'Sales Manager',
  'IT Administrator',
  'HR Specialist',
  'Marketing Lead',
  'Support Engineer',
  'Security Analyst',
  'Product Manager',
  'Designer',
];

export const DEPARTMENTS = [
  'Engineering',
  'Finance',
  'Sales',
  'IT',
  'HR',
  'Marketing',
  'Support',
  'Security',
  'Legal',
];

export const OFFICES = ['Seattle', 'London', 'Berlin', 'Tokyo', 'Sydney', 'Toronto', 'Remote'];

export const GROUP_TOPICS = [
  'Engineering',
  'Finance',
  'Sales',
  'IT Admins',
  'HR',
  'Marketing',
  'Support',
  'Security',
  'Legal',
  'Executives',
  'Contractors',
  'VPN Users',
  'Developers',
  'Helpdesk',
  'Project Phoenix',
];

export const CLIENT_HOST_PREFIXES = ['desktop', 'laptop', 'ws'];

export const SERVER_HOST_PREFIXES = ['srv', 'sql', 'web', 'build'];

/** Local accounts seen on many machines; never a directory user. */
export const LOCAL_ACCOUNTS = ['administrator', 'localadmin', 'defaultuser0', 'support', 'kiosk'];

/** Domain service accounts; no directory user has these sAMAccountNames. */
export const SERVICE_ACCOUNTS = [
  'svc_backup',
  'svc_sql',
  'svc_scan',
  'svc_deploy',
  'svc_monitor',
  'svc_print',
];

export const LOGON_TYPES = [
  'Interactive',
  'RemoteInteractive',
  'Network',
  'Network, RemoteInteractive',
  'Interactive, Network',
  'CachedInteractive',
];

export const SERVICE_PRINCIPALS = [
  'Backup Connector',
  'HR Sync App',
  'Build Agent',
  'Monitoring Bot',
];

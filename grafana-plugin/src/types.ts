// Shapes of the plugin backend's answers (grafana-plugin/pkg) and of the
// records API it forwards (cmd/jianguan-recorder/openapi.yaml).

export interface ReportsList {
  kinds: string[];
  formats: string[];
  months: Array<{ month: string; start: string; end: string; frozen: Record<string, boolean> }>;
  canFreeze: boolean;
}

export interface FreezeResult {
  kind: string;
  month: string;
  sha256: string;
  frozenAt: string;
  frozenBy?: string;
  warning?: string;
}

export interface RecordT<B = unknown> {
  id: number;
  kind: string;
  alertId?: number;
  title?: string;
  body: B;
  createdBy: string;
  createdAt: string;
  updatedBy?: string;
  updatedAt?: string;
  signedOffBy?: string | null;
  signedOffAt?: string | null;
  slot?: string;
  parentId?: number;
  ref?: string;
}

export interface Ack {
  id: number;
  alertId: number;
  who: string;
  note?: string;
  at: string;
}

export interface Alert {
  id: number;
  alertname: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  status: 'firing' | 'resolved';
  detectedAt: string;
  notifiedAt?: string | null;
  acknowledgedAt?: string | null;
  resolvedAt?: string | null;
  timeToNotifySeconds?: number | null;
  timeToAcknowledgeSeconds?: number | null;
  timeToResolveSeconds?: number | null;
  acknowledgements?: Ack[];
}

export interface RemoteItemResult {
  name: string;
  label: string;
  op?: string;
  threshold?: number;
  unit?: string;
  result: '正常' | '异常' | '无数据';
  error?: string;
  series?: Array<{ labels?: Record<string, string>; value: string; result: '正常' | '异常' }>;
}

export interface RemoteInspection {
  slot: string;
  status: 'completed' | 'missed';
  reason?: string;
  normal?: number;
  abnormal?: number;
  noData?: number;
  items?: RemoteItemResult[];
}

export interface OnsiteItem {
  name: string;
  label?: string;
  result: '正常' | '异常';
  note?: string;
}

export interface OnsiteInspection {
  date: string;
  inspector: string;
  reviewer: string;
  notes?: string;
  normal?: number;
  abnormal?: number;
  items: OnsiteItem[];
}

export interface Checklists {
  remoteTimes?: string[] | null;
  remote?: { items: Array<{ name: string; label: string }> } | null;
  onsite?: { items: Array<{ name: string; label: string; hint?: string }> } | null;
}

export interface Incident {
  ns: string;
  entity: string;
  start: string;
  end?: string;
  cause?: string;
  impact?: string;
  handler?: string;
  timeline?: Array<{ at: string; text: string }>;
  measures?: string;
  owner?: string;
  deadline?: string;
  status?: 'open' | 'rectifying' | 'closed';
}

export interface Finding {
  source?: string;
  label?: string;
  detail?: string;
  owner?: string;
  deadline?: string;
  measures?: string;
  status?: string;
  closedAt?: string;
}

export interface ProviderScore {
  provider: string;
  entities: number;
  availability: number;
  met: number;
  incidents: number;
  mttrSeconds: number;
  scoreAvailability: number;
  scoreSLA: number;
  scoreIncidents: number;
  scoreRecovery: number;
  score: number;
}

// ManualScore is the body of a record of kind eval_manual_score, as
// internal/eval reads it (ManualScore) and the recorder validates it
// (eval.ManualScoreBody): author defaults to the Grafana user, at to now.
export interface ManualScore {
  kind: 'cloud' | 'carrier';
  provider: string;
  indicator: string;
  period: string;
  score: number;
  evidence: string;
  author?: string;
  at?: string;
  note?: string;
}

// Narrative is a period's editable sections (report.Narrative), as
// GET/PUT /narrative/{kind}/{YYYY-MM} carries them.
export interface Narrative {
  problems?: string;
  remedies?: string;
  nextSteps?: string;
}

export interface NarrativeAnswer {
  kind: string;
  month: string;
  narrative: Narrative;
  frozen: boolean;
  warning?: string;
}

// AnnualProvider is one provider's year (eval.AnnualProvider).
export interface AnnualProvider {
  provider: string;
  kind: string;
  months: string[];
  ratedMonths: number;
  score: number;
  grade?: string;
  trend: string;
  licence: string;
}

// Annual is GET /evaluation/annual/{YYYY}.
export interface Annual {
  year: number;
  months: Array<{ month: string; frozen: boolean; from?: string; sha256?: string; frozenAt?: string }>;
  kinds: Record<string, AnnualProvider[] | undefined>;
  grades: Array<{ grade: string; min: number }> | null;
}

// Assessment is the monthly assessment a providers report carries
// (eval.Assessment, the document's evaluation field): per kind, the
// providers' rank, score and grade.
export interface Assessment {
  systemVersion: string;
  grades: Array<{ grade: string; min: number }>;
  kinds: Array<{
    kind: string;
    providers: Array<{ provider: string; kind: string; rank?: number; rated: boolean; score: number; grade?: string; reason?: string; evaluableWeight: number }>;
  }>;
}

import { render, screen, within } from '@testing-library/react';

import { json, setBackend, setLanguage } from '../testing/backend';
import { AnnualRating, MonthlyGrades } from './EvaluationGrades';

beforeEach(() => setLanguage('zh-Hans'));

const assessment = {
  systemVersion: '2026.1',
  grades: [
    { grade: 'A', min: 90 },
    { grade: 'B', min: 80 },
    { grade: 'D', min: 0 },
  ],
  kinds: [
    {
      kind: 'cloud',
      providers: [
        { provider: 'aliyun', kind: 'cloud', rank: 1, rated: true, score: 93.456, grade: 'A', evaluableWeight: 100 },
        { provider: 'newcloud', kind: 'cloud', rated: false, score: 0, reason: '可评价权重不足', evaluableWeight: 40 },
      ],
    },
  ],
};

const months = (frozen: string[]) => Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}`).map((m) => ({ month: m, frozen: frozen.includes(m) }));

describe('MonthlyGrades', () => {
  it('shows rank, score and grade per provider, 无法评价 for the unrated', () => {
    render(<MonthlyGrades assessment={assessment} />);
    const tb = screen.getByTestId('grades-cloud');
    const rows = within(tb).getAllByRole('row').map((r) => r.textContent);
    expect(rows[1]).toBe('aliyun193.46A100 %');
    expect(rows[2]).toBe('newcloud——无法评价40 %');
    expect(screen.getByText(/A ≥ 90 分；B ≥ 80 分；其余为 D/)).toBeInTheDocument();
  });

  it('says what to configure without an indicator system', () => {
    render(<MonthlyGrades />);
    expect(screen.getByText(/jsonData.evaluationConfig/)).toBeInTheDocument();
  });
});

describe('AnnualRating', () => {
  it('shows the annual score and grade and each month', async () => {
    const cells = Array(12).fill('未冻结');
    cells[9] = '93.46 A';
    setBackend((c) =>
      c.path === '/evaluation/annual/2026'
        ? json(200, {
            year: 2026,
            months: months(['2026-10']),
            grades: assessment.grades,
            kinds: { cloud: [{ provider: 'aliyun', kind: 'cloud', months: cells, ratedMonths: 1, score: 93.456, grade: 'A', trend: '', licence: '' }] },
          })
        : undefined
    );
    render(<AnnualRating year="2026" />);
    const tb = await screen.findByTestId('annual-cloud');
    expect(within(tb).getByText('93.46')).toBeInTheDocument();
    expect(within(tb).getByText('93.46 A')).toBeInTheDocument();
    expect(within(tb).getAllByText('未冻结')).toHaveLength(11);
    expect(screen.getByText(/已冻结：2026-10/)).toBeInTheDocument();
  });

  it('says to freeze months first when none is frozen', async () => {
    setBackend((c) => (c.path === '/evaluation/annual/2026' ? json(200, { year: 2026, months: months([]), grades: null, kinds: {} }) : undefined));
    render(<AnnualRating year="2026" />);
    expect(await screen.findByText(/2026 年还没有已冻结的月度评估/)).toBeInTheDocument();
  });

  it('shows a server error in the banner', async () => {
    setBackend(() => json(500, { error: 'frozen assessment 2026-03: snapshot damaged' }));
    render(<AnnualRating year="2026" />);
    expect(await screen.findByRole('alert')).toHaveTextContent('snapshot damaged');
  });
});

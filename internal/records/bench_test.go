package records

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// BenchmarkIngest: one notification with 5 alerts per op, each a new group
// (history rows included). go test -run '^$' -bench Ingest ./internal/records/
func BenchmarkIngest(b *testing.B) {
	run := func(b *testing.B, s Store) {
		ctx := context.Background()
		b.ResetTimer()
		for i := range b.N {
			var as []WebhookAlert
			for j := range 5 {
				as = append(as, alert(fmt.Sprintf("b%d-%d", i, j), "firing", t0, time.Time{}))
			}
			n := notif("firing", t0.Add(time.Duration(i)*time.Millisecond), "a", as...)
			n.GroupKey = fmt.Sprint("bench-", i)
			if _, err := s.Ingest(ctx, n, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("sqlite", func(b *testing.B) {
		s, err := Open(context.Background(), SQLite, filepath.Join(b.TempDir(), "r.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		run(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		srv := testenv.StartPostgres(b)
		s, err := Open(context.Background(), Postgres, srv.NewDB(b))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		run(b, s)
	})
}

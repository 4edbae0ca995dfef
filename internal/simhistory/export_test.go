package simhistory

// BackfillRulesWindows is BackfillRules with promtool windows of the given
// span, so that a test's day runs as several windows, some at once.
var BackfillRulesWindows = backfillRules

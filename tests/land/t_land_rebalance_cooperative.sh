# tests/land/t_land_rebalance_cooperative.sh - t_land_rebalance.sh under the
# cooperative-sticky assignor: incremental handovers, the partitions that
# stay keep landing, and still every record lands exactly once.
STRATEGY=cooperative-sticky
. "$(dirname "$0")/t_land_rebalance.sh"

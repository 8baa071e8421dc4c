"""Many machines (issue 15): API nodes enqueue, `dragoman worker` processes run tasks, on one
PostgreSQL through Procrastinate. Dragoman's tasks table stays the one record of state, leases and
cancellation; a Procrastinate job only says "run task X" (the doorbell)."""

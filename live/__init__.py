"""Live delivery: an event, from the commit that made it to a subscriber's socket.

1. `unit_of_work.py`: an operation's service records its events (services/events.py) in the
   transaction; after the commit, and only then, `UnitOfWork` hands them to the event hub.
2. `hub.py`: `EventHub.publish` gives them to this process's feed for the programme, and through
   `broker.py` (broadcaster: memory, Redis or PostgreSQL) to every other process. Each feed
   (`feed.py`) delivers its programme's events in `seq` order, once each, reading a gap from
   the log.
3. `fanout.py`: listeners of one `Topic` (built in `topics.py`, e.g. one availability topic per
   programme) share one database read per batch of events; each listener picks its own items
   (`updates.py`: what a search filter shows) into a bounded queue, and is ended if it falls
   too far behind.
4. A subscription (resolvers/subscriptions.py) maps each item to its schema type and resolves it
   with that event's DataLoaders (`loaders.py`: the one place that decides which loaders a field
   sees, and keeps one viewer's contact details from another).
5. `shared.py`: subscribers sending the same document, whose results depend on their role alone
   (`sharing.py` markers), share one execution, encoded once; app/graphql_view.py writes each
   result to each socket under the subscriber's own operation id. `token_expiry.py` closes a
   socket when its token expires.

Nothing here imports the schema, the resolvers or the app: they import this."""

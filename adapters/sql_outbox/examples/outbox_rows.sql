-- What the client-records system writes, in the same transaction as its own change.
-- The tables: adapters.sql_outbox.create_tables(url), or the DDL adapters.sql_outbox.ddl() prints.
-- The payload is the event's domain record (the fields of its model in schemas/events),
-- sender, event_id and occurred_at are filled by the adapter when left out.

INSERT INTO saattaja_outbox (event_type, payload) VALUES (
  'referral.requested',
  '{"client": "150388-9127",
    "referral_id": "EKHVA-LAH-2026-0001",
    "receiver": "1.2.246.10.2462460",
    "service": "Kelan ammatillinen kuntoutus",
    "reason": "Työkyky heikentynyt, työttömän terveystarkastus 2.3.2026"}'
);

-- What arrived for this organisation, newest last. Rejection notices have
-- event_type 'fi.saattaja.event.rejected.v1' and the reason in payload->>'reason'.
SELECT id, event_type, client, sender, received_at, payload FROM saattaja_inbox ORDER BY id;

-- Rows that could not become events. Correct the payload, then clear the error to resend.
SELECT id, event_type, error FROM saattaja_outbox WHERE error IS NOT NULL ORDER BY id;

"""The file-drop adapter: a legacy system exchanges CSV / JSON exports through a folder.

For the municipal employment services and the NGO, whose systems can export a file to a
shared folder and import files from one, but speak neither SQL to us nor FHIR.

Incoming (``SAATTAJA_FILE_DROP_DROP_FOLDER``)
    Every ``*.csv``, ``*.json`` and ``*.jsonl`` file is read once it is whole: when its size
    and modification time are unchanged since the previous poll. Writers should write
    ``name.csv.part`` and rename it to ``name.csv`` when done (names ending otherwise, and
    names starting with a dot, are never read); when every writer does so, set
    ``SAATTAJA_FILE_DROP_TAKE_AT_FIRST_SIGHT=true`` to skip the wait of one poll.

    Each record becomes one event, sent by this adapter's organisation. Its event id is
    the record's ``event_id`` or a uuid5 of the organisation, the file name, the record's
    position and its content: dropping the same file again gives the same ids, and the
    receiving adapters drop the repeats. A record whose content changed but which keeps
    its own ``event_id`` is another event under a used id: the router refuses it, and its
    rejection notice lands in the outgoing folder. Leave ``event_id`` out, or give a new one.

    Then the file moves to ``done/`` (every record published) or ``failed/`` with
    ``<file>.errors.txt`` beside it, a line per refused record: ``line 3: column client:
    ...``. The valid records of a failed file ARE published. Fix the bad records and drop
    the file again under the same name, or drop only the fixed records in a new file.
    Both folders are inside the drop folder so that moves are renames; a name already
    taken gets a timestamp suffix. No file is deleted.

JSON: an array of records, one object, or JSON Lines. A record is ``type`` plus the
event model of ``schemas.events`` as it is (``model_dump(mode="json")`` form): e.g.
``{"type": "referral.requested", "client": "150388-9127", "occurred_at":
"2026-03-02T09:00:00+02:00", "referral_id": "R-1", "receiver": "1.2.246.10.2462460",
"service": "...", "reason": "..."}``. ``sender`` and ``event_id`` may be left out.

CSV: UTF-8 (a byte order mark, as Excel writes, is fine), a header row, ``;`` or ``,``
or tab as delimiter (the commonest of them in the header, or
``SAATTAJA_FILE_DROP_CSV_DELIMITER``). Column names are the model's field names; a
file may mix types, leaving the cells a type does not use empty. Every row has:

    type          referral.requested, assessment.recorded, plan.updated, ... (or fi.saattaja.*.v1)
    client        personal identity code
    occurred_at   ISO 8601; without an offset it is read in SAATTAJA_FILE_DROP_TIMEZONE
    event_id      optional

and per type:

    referral.requested    referral_id, receiver (OID), service, reason, [note]
    referral.accepted / .completed   referral_id, requester (OID), [note]
    referral.rejected     referral_id, requester, reason, [note]
    assessment.recorded   assessment_id and Kykyviisari: overall, mental_wellbeing,
                          social_participation, physical_functioning, competence,
                          everyday_life (0-10 each); or a professional's: domain
                          (health|social), kind, title, conclusion, [work_ability]
    plan.created / plan.updated   plan_id, plan_type, title, [description, status, start,
                          end], and one activity: activity_description,
                          activity_performer (OID), [activity_status, activity_start,
                          activity_end] (more activities or a basis: use JSON)
    casemanager.assigned  episode_id, case_manager_name, case_manager_role,
                          case_manager_organisation, team (OIDs separated by spaces)
    consent.granted       consent_id, [decision (permit|deny), purpose, valid_from,
                          valid_until], recipients (OIDs or organisation kinds such as
                          kela, separated by spaces), [sources, categories, documents,
                          service_tasks] (space-separated); exceptions: use JSON
    consent.revoked       consent_id
    episode.closed        episode_id, outcome (work, education, ...), [note]

``examples/`` holds one file of each kind.

Outgoing (``SAATTAJA_FILE_DROP_OUTGOING_FOLDER``)
    Each received event: ``<occurred, UTC, 20260302T090000Z>_<type>_<event_id>.json``
    holding ``{"type": "<type>", ...the event's fields}`` (the same form as a JSON
    record). A rejection notice for one of our own events: ``..._event.rejected_<id>.json``
    with the notice's fields. Files are written to a hidden ``.name.tmp`` and renamed, so
    the legacy system never sees half a file; a redelivered event rewrites the same name.

Both folders must exist when the adapter starts (``SAATTAJA_FILE_DROP_CREATE_FOLDERS``
makes them): without either, it does not start.
"""

from adapters.file_drop.adapter import DroppedFile, FileDropAdapter
from adapters.file_drop.errors import FileDropError, FolderError, OutgoingWriteError
from adapters.file_drop.mapping import EVENT_ID_NAMESPACE, RecordError, event_id_for, to_event
from adapters.file_drop.reading import Problem, RawRecord, read_records
from adapters.file_drop.settings import FileDropSettings
from adapters.file_drop.sink import NOTICE_TYPE, OutgoingFolder, outgoing_name
from adapters.file_drop.source import DropFolder

__all__ = [
    "EVENT_ID_NAMESPACE",
    "NOTICE_TYPE",
    "DropFolder",
    "DroppedFile",
    "FileDropAdapter",
    "FileDropError",
    "FileDropSettings",
    "FolderError",
    "OutgoingFolder",
    "OutgoingWriteError",
    "Problem",
    "RawRecord",
    "RecordError",
    "event_id_for",
    "outgoing_name",
    "read_records",
    "to_event",
]

"""The store: one DynamoDB table holds every record; keys say what an item is. dal.py reads and writes it
(the only module with the DynamoDB client), keys.py builds every key and index attribute, items.py every
transaction item, codec.py the attribute values.

Access patterns (keep this table in step with the code and template.yaml):

| # | pattern                                   | operation / key condition                                   | index |
|---|-------------------------------------------|-------------------------------------------------------------|-------|
| 1 | an application's dossier: the application, documents, panels, scorecards | Query PK=APP#<id>  | table |
| 2 | applications in a status, newest first    | Query GSI1PK=STATUS#<status>, GSI1SK desc (<updated>#<id>)  | GSI1  |
| 3 | a provider user's applications, newest    | Query GSI2PK=OWNER#<sub>, GSI2SK desc (<submitted>#<id>)    | GSI2  |
| 4 | a provider and its active-application slot| BatchGet PROVIDER#<cc>/PROFILE + PROVIDER#<cc>/ACTIVE_APPLICATION | table |
| 5 | a provider's audit trail, in order        | Query PK=PROVIDER#<cc>, SK begins_with AUDIT#               | table |
| 6 | an Idempotency-Key's answer               | GetItem (in the same BatchGet as the reads of the request) IDEMPOTENCY#<operation> / sha256(<sub>, <key>); written in the request's transaction; TTL `ttl` | table |
| 7 | an expert                                 | GetItem EXPERT#<id> / PROFILE                               | table |
| 8 | the expert pool of a category             | GetItem POOL#<category> / MEMBERS (an attribute E#<expert> per member; BatchGet with the provider when a panel is drawn) | table |
| 9 | the current evaluation scheme / a version | GetItem SCHEME / CURRENT, SCHEME / VERSION#<version>        | table |
| 10| public notices, newest first              | Query GSI1PK=NOTICES, GSI1SK desc (<published>#<id>)        | GSI1  |
| 11| one notice                                | GetItem NOTICE#<id> / NOTICE                                | table |
| 12| an objection; a notice's objections       | GetItem OBJECTION#<id>; Query GSI2PK=NOTICE#<id>            | table, GSI2 |
| 13| a certificate by number                   | GetItem CERT#<number> / CERTIFICATE                         | table |
| 14| what is due by a moment (sparse)          | Query DUE_PK=DUE#<kind>, DUE_SK <= <when>                   | Due   |
| 15| a provider's assessment of a period       | GetItem PROVIDER#<cc> / ASSESSMENT#<period>                 | table |
| 16| a provider's assessments, in period order | Query PK=PROVIDER#<cc>, SK begins_with ASSESSMENT#          | table |
| 17| a rectification order                     | GetItem RECT#<id> / RECTIFICATION                           | table |
| 18| certified providers, in 16 shards, whole  | Query GSI1PK=CERTIFIED#<shard> (sparse: certified, not eliminated; projects every attribute, so a page is the read) | GSI1 |
| 19| a re-grading run with its counter shards  | BatchGet REGRADING#<run id> / #RUN + #SHARD#<nn> (one per certified shard) | table |
| 20| a run's per-provider results (report)     | Query PK=REGRADING#<run id>, SK begins_with ITEM#           | table |
| 21| a provider's declared qualification       | GetItem PROVIDER#<cc> / QUAL#<number>; its review reads it in one BatchGet with the provider and the assessment settings | table |
| 22| a provider's rectification orders         | Query GSI2PK=RECTS#<cc>, newest first (orders written before members were RECTS#<owner sub>: the move re-indexes them, pattern 38) | GSI2  |
| 23| the current version of a settings document | GetItem SETTINGS#<name> / CURRENT (with the others in one BatchGet; a change of a rectification order, a declared qualification reads the assessment settings in the BatchGet of its provider and the caller's membership, policy_store.key_of / from_found; a graded decision reads the notice and calendar settings in the BatchGet of its provider, get_provider_with; an initial review's return with the default deadline reads the review and calendar settings, its pass and a resubmission with certificates the review settings, in the BatchGet of the application's provider and the caller's membership, applications._load_owned) | table |
| 24| one stored version of a settings document  | GetItem SETTINGS#<name> / VERSION#<6 digits>                | table |
| 25| objections in a status, newest first       | Query GSI1PK=OBJECTIONS#<status>, GSI1SK desc (<filed>#<id>) | GSI1 |
| 26| certified providers missing a period       | Query GSI1PK=CERTIFIED#<shard> (pattern 18), each page filtered on its projected `assessment_results` | GSI1 |
| 27| a user's membership of a provider         | GetItem PROVIDER#<cc> / MEMBER#<sub>; where the provider record is read too, one BatchGet of both (members.provider_and_membership: an application's owner check, with its dossier) | table |
| 28| a provider's members                      | Query PK=PROVIDER#<cc>, SK begins_with MEMBER# (consistent); with the provider record: SK BETWEEN MEMBER# AND PROFILE, one Query (provider_with_members: listing and changing members) | table |
| 29| the providers a user is a member of       | Query GSI2PK=MEMBER_OF#<sub> (GSI2SK = <cc>)                | GSI2  |
| 30| an invitation (its code = <id>.<secret>)  | GetItem INVITATION#<id> / INVITATION                        | table |
| 31| a provider's applications, newest first   | Query PK=PROVIDER#<cc>, SK begins_with APP# (a summary copy written in every application transaction) | table |
| 32| one email of one event to one recipient   | GetItem / conditional Put NOTIFY#<event id> / TO#<sha256(email)> (claim with a lease, then `sent`; TTL) | table |
| 33| reminders sent to a recipient on a day    | UpdateItem ADD NOTIFY_CAP#<sha256(email)> / DAY#<date> (in the claim's transaction; TTL) | table |
| 34| a recipient's reminder preference         | GetItem CONTACT#<sha256(email)> / PREFS; the unsubscribe link's token UNSUBSCRIBE#<token> / TOKEN | table |
| 35| the registered reviewers' emails          | Query PK=STAFF#reviewers (one item per reviewer, SK <sub>)  | table |
| 36| rectification deadlines in the next days  | Query DUE_PK=DUE#RECT_DEADLINE, DUE_SK between <tomorrow> and <in 3 days> | Due |
| 37| open panels drawn 3 days ago (scorecards) | Query DUE_PK=DUE#CARD_REMIND, DUE_SK <= <now> (keys kept: the application is in PK) | Due |
| 38| the move of a provider written before members (`owner_sub`) | Query GSI2PK=OWNER#<owner sub> and GSI2PK=RECTS#<owner sub>, filtered on credit_code; Query pattern 31 (consistent): the missing summaries are put, the orders re-indexed to RECTS#<cc>, in the move's transaction (store/members.py) | GSI2, table |

Due kinds (present only while there is something to do, removed in the transaction that does it):
`DUE#NOTICE_CLOSE` (open notices, by window_closes_at), `DUE#CERT_EXPIRY` (valid certificates, by valid_until),
`DUE#ELIMINATION` (providers at the consecutive-failure limit, by when they reached it), `DUE#RECT_DEADLINE`
(rectification orders waiting on the provider, by deadline), `DUE#RETURN_DEADLINE` (returned applications, by
their 补正 deadline: the sweep lapses them), `DUE#QUAL_REMIND` (qualifications, by the day 30 days
before they expire), then `DUE#QUAL_EXPIRY` (reminded qualifications, by their expiry date), `DUE#CARD_REMIND`
(open panels, by 3 days after the draw: the daily sweep reminds the experts whose scorecard is missing).
The notice board (`GET /notices`, grading.pages) reads `DUE#NOTICE_CLOSE` whole as the list of open notices
(pattern 14 with no upper bound), then pattern 10 for the rest; the certificate page is pattern 13 alone.
The notification items (patterns 32-35) are read and written by `store/notifications.py` (imported as
`dal_notify`), with dal.py's client.

Items:

| item                   | PK               | SK                    | GSI1PK / GSI1SK               | GSI2PK / GSI2SK             |
|------------------------|------------------|-----------------------|-------------------------------|-----------------------------|
| provider               | PROVIDER#<cc>    | PROFILE               |                               |                             |
| active-application slot| PROVIDER#<cc>    | ACTIVE_APPLICATION    |                               |                             |
| audit entry            | PROVIDER#<cc>    | AUDIT#<seq, 10 digits>|                               |                             |
| application            | APP#<id>         | APPLICATION           | STATUS#<status> / <updated>#<id> | OWNER#<sub> / <submitted>#<id> (Due: DUE#RETURN_DEADLINE while returned) |
| document               | APP#<id>         | DOC#<doc id>          |                               |                             |
| panel (one per round)  | APP#<id>         | PANEL#<round, 2 digits>|                              |                             |
| scorecard              | APP#<id>         | CARD#<round>#<expert> |                               |                             |
| expert                 | EXPERT#<id>      | PROFILE               |                               |                             |
| expert pool (category) | POOL#<category>  | MEMBERS (E#<id> each) |                               |                             |
| scheme version         | SCHEME           | VERSION#<version>     |                               |                             |
| current scheme (copy)  | SCHEME           | CURRENT               |                               |                             |
| notice                 | NOTICE#<id>      | NOTICE                | NOTICES / <published>#<id>    | (Due: DUE#NOTICE_CLOSE)     |
| objection              | OBJECTION#<id>   | OBJECTION             | OBJECTIONS#<status> / <filed>#<id> | NOTICE#<notice id> / <filed>#<id> |
| settings (current copy)| SETTINGS#<name>  | CURRENT               |                               |                             |
| settings version       | SETTINGS#<name>  | VERSION#<6 digits>    |                               |                             |
| certificate            | CERT#<number>    | CERTIFICATE           |                               | (Due: DUE#CERT_EXPIRY)      |
| assessment             | PROVIDER#<cc>    | ASSESSMENT#<period>   |                               |                             |
| rectification order    | RECT#<id>        | RECTIFICATION         |                               | RECTS#<cc> / <opened>#<id> (Due: DUE#RECT_DEADLINE) |
| qualification          | PROVIDER#<cc>    | QUAL#<number>         |                               | (Due: DUE#QUAL_REMIND, then DUE#QUAL_EXPIRY) |
| provider (certified)   | PROVIDER#<cc>    | PROFILE               | CERTIFIED#<shard> / <cc>      |                             |
| member (admin, member) | PROVIDER#<cc>    | MEMBER#<sub>          |                               | MEMBER_OF#<sub> / <cc>      |
| invitation             | INVITATION#<id>  | INVITATION            |                               |                             |
| application summary    | PROVIDER#<cc>    | APP#<submitted>#<id>  |                               |                             |
| re-grading run         | REGRADING#<run>  | #RUN                  |                               |                             |
| run counter (per shard)| REGRADING#<run>  | #SHARD#<nn>           |                               |                             |
| run result per provider| REGRADING#<run>  | ITEM#<cc>             |                               |                             |
| one run per year lock  | REGRADING_YEAR#<year> | ACTIVE           |                               |                             |

Concurrency: every change to a provider or its applications is one transaction that appends the provider's next
audit entry, conditional on the provider's `audit_seq` being the one read (optimistic lock), and on the
application's `version`. The single active application per credit code is the ACTIVE_APPLICATION item, put with
`attribute_not_exists` in the same transaction: the database, not a read, decides who wins.
"""

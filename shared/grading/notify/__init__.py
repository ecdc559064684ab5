"""Email notifications: who must act is told (DOMAIN.md "People are told"). `compose` turns one domain event into
mails (reading the recipients and the facts from the table), `render` fills the Chinese templates, `send` delivers
each mail once per event and recipient through SES."""

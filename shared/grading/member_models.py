"""Request and response shapes of a provider's organisation: members, invitations, staff appointments, and the
conflicts (回避) an expert declares itself."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from grading.modelbase import Model
from grading.models import CreditCodeRef, Strict, Text500

MemberRole = Literal["admin", "member"]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")]


class MemberView(Model):
    sub: str
    role: MemberRole
    email: str | None = None
    added_at: str


class MemberPage(Model):
    items: list[MemberView]
    next_token: str | None = None


class InvitationIn(Strict):
    email: Email = Field(description="where the code is mailed (the notifier reads it from the invitation)")
    role: MemberRole = "member"
    days: int | None = Field(default=None, ge=1, le=30, description="how long the code works (default 7 days)")


class InvitationCreated(Model):
    invitation_id: str
    code: str = Field(description="works once, until expires_at; the invited user accepts it signed in")
    expires_at: str
    role: MemberRole


class InvitationAccepted(Model):
    credit_code: str
    role: MemberRole


class AppointIn(Strict):
    role: MemberRole
    reason: Text500 = Field(description="why staff settle it this way (audited)")


class ConflictIn(Strict):
    credit_code: CreditCodeRef = Field(description="a provider this expert must not evaluate")
    reason: Text500 = Field(description="回避 reason: same organisation, recent employment, a relative...")

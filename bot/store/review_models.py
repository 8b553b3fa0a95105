"""The review queue's verdicts: which intent a client's message really had.

A staff member reviewing a message the assistant was unsure of (or that staff answered
instead) says what it asked: an intent of domain.yml, or nothing (`intent` None: "not a
question"). One verdict per message; reviewing it again replaces it, keeping who and when.
`aftercare nlu export` turns the verdicts into training data.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

from bot.store.models import Base, UTCDateTime


class MessageReview(Base):
    __tablename__ = "message_reviews"

    id = Column(Integer, primary_key=True)
    message_id = Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False)
    clinic_id = Column(Integer, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False)
    intent = Column(String(64), nullable=True)  # None: not a question
    reviewed_by_id = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    reviewed_at = Column(UTCDateTime, nullable=False)

    message = relationship("LoggedMessage")
    reviewed_by = relationship("Staff")

    __table_args__ = (
        UniqueConstraint("message_id"),
        Index("ix_message_reviews_clinic_id_reviewed_at", "clinic_id", "reviewed_at"),
        Index("ix_message_reviews_reviewed_at", "reviewed_at"),
    )

    def __repr__(self) -> str:
        return f"<MessageReview {self.message_id} {self.intent}>"

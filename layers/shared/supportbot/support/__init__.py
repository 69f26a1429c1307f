"""The support relay: every message between customers and support or the warehouse is stored
first, then delivered through the outbox queue, and its delivery status kept on the stored item."""

//! What the switch keeps about its queues beyond the ACD history: queues and memberships
//! managed through the HTTP API, messages callers left in a queue, and callbacks they asked
//! for.

pub(crate) mod callbacks;
pub(crate) mod definitions;
pub(crate) mod messages;

package store

// Version is a reading of what the store holds that can make an access
// token inactive: its revocations and cutoffs. Two equal readings that are
// not the zero Version prove that no revocation or cutoff committed between
// them, in any process sharing the store, so a token found unrevoked at the
// first is still unrevoked at the second. A reading may change for other
// reasons too (a backend may only be able to tell that something
// committed); that costs a lookup, never a wrong answer. The zero Version
// proves nothing: a backend that cannot tell returns it.
type Version [2]uint64

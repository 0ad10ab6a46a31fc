package gateway

// RefreshRevocations makes the gateway's guard poll the issuer's revocation
// list now, as when Redis announces a revocation; see
// guard.Guard.RefreshRevocations.
func (gw *Gateway) RefreshRevocations() { gw.guard.RefreshRevocations() }

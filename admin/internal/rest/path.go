package rest

// PathPrefix is where the management API is served, on the issuer's
// listener (admin.PathPrefix): every route's pattern and Location starts
// with it. A tenant's API will live under its issuer's path, so nothing
// here assumes the issuer is a bare origin.
const PathPrefix = "/admin/v1/"

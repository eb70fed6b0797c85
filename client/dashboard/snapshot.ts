/**
 * The shape of `GET /api/dashboard`, shared with the server (src/admin/dashboard_snapshot.ts has
 * no imports, so nothing of the server is checked or bundled with the page).
 */
export type { DashboardSnapshot } from "../../src/admin/dashboard_snapshot.ts";

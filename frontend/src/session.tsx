import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Navigate, Outlet, useLocation } from "react-router";
import { onUnauthorized } from "./api/client";
import { keys, useMe } from "./api/queries";
import { Loading } from "./components/ui";

/** Set when a signed-in user's call answered 401; cleared by the next sign-in. */
let sessionExpired = false;

export function clearSessionExpired(): void {
  sessionExpired = false;
}

/** When any call answers 401, forget the user (RequireAuth then leads to the sign-in page). */
export function SessionWatcher() {
  const client = useQueryClient();
  useEffect(
    () =>
      onUnauthorized(() => {
        // RequireAuth then sends the user to sign in, saying why.
        if (client.getQueryData(keys.me)) sessionExpired = true;
        client.setQueryData(keys.me, null);
        client.removeQueries({ predicate: (q) => q.queryKey[0] !== "me" && q.queryKey[0] !== "connectors" });
      }),
    [client],
  );
  return <Outlet />;
}

export function RequireAuth() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading />;
  if (!me.data)
    return <Navigate to="/login" replace state={{ from: location.pathname, expired: sessionExpired }} />;
  return <Outlet />;
}

/** The sign-in pages: once signed in, go where the user was headed (or to the dashboard). */
export function RedirectIfSignedIn() {
  const me = useMe();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  if (me.isPending) return <Loading />;
  if (me.data) return <Navigate to={from && from !== "/login" ? from : "/"} replace />;
  return <Outlet />;
}

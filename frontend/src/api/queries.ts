import { useQuery } from "@tanstack/react-query";
import { ApiError, api, type Me, unwrap } from "./client";

export const keys = {
  me: ["me"] as const,
  connectors: ["connectors"] as const,
  connections: ["connections"] as const,
  connection: (id: string) => ["connections", id] as const,
  connectionOptions: (id: string) => ["connections", id, "options"] as const,
  links: ["links"] as const,
  link: (id: string) => ["links", id] as const,
  runs: (linkId: string, flow?: string | null, offset = 0, limit = 50) =>
    ["runs", linkId, flow ?? "all", offset, limit] as const,
  run: (id: string) => ["run", id] as const,
  events: (id: string, offset = 0) => ["events", id, offset] as const,
  members: ["members"] as const,
  invitations: ["invitations"] as const,
  audit: (offset: number) => ["audit", offset] as const,
  tenant: ["tenant"] as const,
};

/** The signed-in user, or null when nobody is signed in (401). */
export function useMe() {
  return useQuery<Me | null>({
    queryKey: keys.me,
    queryFn: async () => {
      try {
        return await unwrap(api.GET("/api/v1/me"));
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

export function useConnectors() {
  return useQuery({
    queryKey: keys.connectors,
    queryFn: () => unwrap(api.GET("/api/v1/connectors")),
    staleTime: 5 * 60_000,
  });
}

export function useConnections() {
  return useQuery({
    queryKey: keys.connections,
    queryFn: () => unwrap(api.GET("/api/v1/connections", { params: { query: { limit: 200 } } })),
  });
}

export function useLinks() {
  return useQuery({
    queryKey: keys.links,
    queryFn: () => unwrap(api.GET("/api/v1/links", { params: { query: { limit: 200 } } })),
  });
}

/**
 * A connection's choices (statuses, payment methods, VAT rates, number series, warehouses), read live
 * from the connected system: cached per connection, not refetched on focus, not retried (a 503 can
 * take the remote's whole timeout; the editor offers a retry button instead).
 */
export function useConnectionOptions(connectionId: string | undefined) {
  return useQuery({
    queryKey: keys.connectionOptions(connectionId ?? ""),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/connections/{connection_id}/options", {
          params: { path: { connection_id: connectionId ?? "" } },
        }),
      ),
    enabled: Boolean(connectionId),
    staleTime: 10 * 60_000,
    refetchOnWindowFocus: false,
    retry: false,
  });
}

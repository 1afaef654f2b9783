import { useQuery } from "@tanstack/react-query";
import { ApiError, api, type Me, unwrap } from "./client";

export const keys = {
  me: ["me"] as const,
  connectors: ["connectors"] as const,
  connections: ["connections"] as const,
  connection: (id: string) => ["connections", id] as const,
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

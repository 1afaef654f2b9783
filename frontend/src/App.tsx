import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy } from "react";
import { useTranslation } from "react-i18next";
import { createBrowserRouter, Link, RouterProvider } from "react-router";
import { ApiError } from "./api/client";
import { Layout } from "./Layout";
import { AcceptInvitePage, LoginPage, SignupPage } from "./pages/Auth";
import { DashboardPage } from "./pages/Dashboard";
import { RedirectIfSignedIn, RequireAuth, SessionWatcher } from "./session";

// Pages past the dashboard load on demand, keeping the first load small.
const OnboardingPage = lazy(() => import("./pages/Onboarding").then((m) => ({ default: m.OnboardingPage })));
const LinkEditPage = lazy(() => import("./pages/LinkEdit").then((m) => ({ default: m.LinkEditPage })));
const RunHistoryPage = lazy(() => import("./pages/Runs").then((m) => ({ default: m.RunHistoryPage })));
const RunPage = lazy(() => import("./pages/Runs").then((m) => ({ default: m.RunPage })));
const ConnectionsPage = lazy(() => import("./pages/Settings").then((m) => ({ default: m.ConnectionsPage })));
const TeamPage = lazy(() => import("./pages/Settings").then((m) => ({ default: m.TeamPage })));
const AuditPage = lazy(() => import("./pages/Settings").then((m) => ({ default: m.AuditPage })));
const CompanyPage = lazy(() => import("./pages/Settings").then((m) => ({ default: m.CompanyPage })));

function NotFound() {
  const { t } = useTranslation();
  return (
    <main id="main" className="content">
      <h1>{t("errors.notFound")}</h1>
      <Link to="/">{t("nav.dashboard")}</Link>
    </main>
  );
}

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
        refetchOnWindowFocus: true,
      },
    },
  });
}

export const routes = [
  {
    element: <SessionWatcher />,
    children: [
      {
        element: <RedirectIfSignedIn />,
        children: [
          { path: "/login", element: <LoginPage /> },
          { path: "/signup", element: <SignupPage /> },
        ],
      },
      { path: "/invite", element: <AcceptInvitePage /> },
      {
        element: <RequireAuth />,
        children: [
          {
            element: <Layout />,
            children: [
              { path: "/", element: <DashboardPage /> },
              { path: "/onboarding", element: <OnboardingPage /> },
              { path: "/links/:linkId/runs", element: <RunHistoryPage /> },
              { path: "/links/:linkId/edit", element: <LinkEditPage /> },
              { path: "/runs/:runId", element: <RunPage /> },
              { path: "/connections", element: <ConnectionsPage /> },
              { path: "/team", element: <TeamPage /> },
              { path: "/audit", element: <AuditPage /> },
              { path: "/company", element: <CompanyPage /> },
            ],
          },
        ],
      },
      { path: "*", element: <NotFound /> },
    ],
  },
];

const router = createBrowserRouter(routes);
const queryClient = makeQueryClient();

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}

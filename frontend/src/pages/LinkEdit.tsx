import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { FormProvider, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { Link as RouterLink, useNavigate, useParams } from "react-router";
import { api, type Link, unwrap } from "../api/client";
import { keys } from "../api/queries";
import { flowsPayload, LinkFlowsFields, type LinkValues, linkValues } from "../components/LinkForm";
import { ErrorBox, Loading, Notice } from "../components/ui";

function LinkEditForm({ link }: { link: Link }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const navigate = useNavigate();
  const form = useForm<LinkValues>({ defaultValues: linkValues(link.name, link.flows) });
  const save = useMutation({
    mutationFn: (values: LinkValues) =>
      unwrap(
        api.PATCH("/api/v1/links/{link_id}", {
          params: { path: { link_id: link.id } },
          body: { name: values.name, flows: flowsPayload(values) },
        }),
      ),
    onSuccess: (saved) => {
      client.setQueryData(keys.link(link.id), saved);
      void client.invalidateQueries({ queryKey: keys.links });
      void client.invalidateQueries({ queryKey: ["status", link.id] });
      form.reset(linkValues(saved.name, saved.flows));
    },
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(api.DELETE("/api/v1/links/{link_id}", { params: { path: { link_id: link.id } } })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: keys.links });
      navigate("/", { replace: true });
    },
  });
  return (
    <FormProvider {...form}>
      <form onSubmit={form.handleSubmit((v) => save.mutate(v))} noValidate>
        <LinkFlowsFields
          eshopConnectionId={link.eshopConnectionId}
          accountingConnectionId={link.accountingConnectionId}
        />
        <ErrorBox error={save.error ?? remove.error} />
        {save.isSuccess && !form.formState.isDirty ? (
          <Notice tone="success">{t("connections.saved")}</Notice>
        ) : null}
        <div className="wizard-nav">
          <button
            type="button"
            className="danger"
            onClick={() => {
              if (window.confirm(t("common.confirmDelete", { name: link.name }))) remove.mutate();
            }}
          >
            {t("common.delete")}
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? t("common.saving") : t("common.save")}
          </button>
        </div>
      </form>
    </FormProvider>
  );
}

/** A link's flows, schedules and mappings after the wizard; and deleting the link. */
export function LinkEditPage() {
  const { t } = useTranslation();
  const { linkId = "" } = useParams();
  const link = useQuery({
    queryKey: keys.link(linkId),
    queryFn: () => unwrap(api.GET("/api/v1/links/{link_id}", { params: { path: { link_id: linkId } } })),
  });
  if (link.isPending) return <Loading />;
  if (!link.data) return <ErrorBox error={link.error} />;
  return (
    <div className="wizard">
      <p>
        <RouterLink to="/">← {t("runs.backToDashboard")}</RouterLink>
      </p>
      <h1>
        {t("links.editTitle")}: {link.data.name}
      </h1>
      <LinkEditForm link={link.data} />
    </div>
  );
}

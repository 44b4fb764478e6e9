import type { ApplyTemplateBody, CreateTemplateBody, Template, TemplateSummary } from '@berth/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, urlPath } from '../../api/client.js';
import { queryKeys } from '../../api/query-keys.js';

const templatesKey = queryKeys.templates;

export function useTemplates() {
  return useQuery({
    queryKey: templatesKey,
    queryFn: async () => (await api<{ items: TemplateSummary[] }>('/templates')).items,
    staleTime: 30_000,
  });
}

/** One template with its files; fetched only when someone looks at it. */
export function useTemplate(id: string | null) {
  return useQuery({
    queryKey: queryKeys.template(id),
    queryFn: () => api<Template>(urlPath`/templates/${id!}`),
    enabled: id !== null,
  });
}

export function useCreateTemplate() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateTemplateBody) => api<Template>('/templates', { method: 'POST', body }),
    onSuccess: () => client.invalidateQueries({ queryKey: templatesKey }),
  });
}

export function useDeleteTemplate() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<void>(urlPath`/templates/${id}`, { method: 'DELETE' }),
    onSuccess: () => client.invalidateQueries({ queryKey: templatesKey }),
  });
}

export function useApplyTemplate() {
  return useMutation({
    mutationFn: ({ environmentId, ...body }: ApplyTemplateBody & { environmentId: string }) =>
      api<{ files: number; path: string }>(urlPath`/environments/${environmentId}/apply-template`, { method: 'POST', body }),
  });
}

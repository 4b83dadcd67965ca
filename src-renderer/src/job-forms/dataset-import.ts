/** The form of a `dataset.import` job: a folder, its format (detected or named) and a name. */
import { datasetImportParams, jobKinds, type Req } from '../../../src-main/common/contract/index.ts';
import { useDatasetsStore } from '../stores/datasets.ts';
import type { JobFormDef } from '../forms/form-types.ts';
import FormDatasetFolder from '../forms/FormDatasetFolder.vue';
import FormDatasetFormat from '../forms/FormDatasetFormat.vue';

export function datasetImportForm(): JobFormDef {
  const store = useDatasetsStore();
  return {
    kind: jobKinds.datasetsImport,
    schema: datasetImportParams,
    idPrefix: 'import',
    submitLabel: 'Import',
    stacked: true,
    sections: [
      {
        fields: [
          { path: 'path', label: 'Folder', widget: FormDatasetFolder, help: 'Absolute path of the dataset folder on this computer.' },
          { path: 'format', label: 'Format', widget: FormDatasetFormat },
          { path: 'name', label: 'Name', help: 'Optional; defaults to the folder name.' },
          {
            path: 'followLinksOut',
            id: 'links-out',
            label: 'Follow symbolic links out of the folder',
            help: 'Off: files that links lead to outside the folder are left out and named in the report. On: they are read, and each use checks the link still leads to the same file.',
          },
          // A folder that is a dataset already is imported again only when asked (a second copy with its own id).
          {
            path: 'allowDuplicate',
            label: 'Import it again as a second dataset',
            id: 'again',
            when: (_, { serverError }) => Boolean(store.detection?.alreadyImported) || (serverError?.field === 'path' && serverError.message.includes('already imported')),
          },
        ],
      },
    ],
    submit: (params) => store.startImport(params as Req<'datasets.import'>),
  };
}

/** The schema facts live with the contract (the CLI's config reference reads them too). */
export { schemaFields, topLevelKeys, type FieldKind, type SchemaField } from '../../../src-main/common/schema-fields.ts';

/** The file's name, for the bundling that copies it beside a bundle. */
export declare const CATALOGUE_FILE_NAME: string;
/** The catalogue's JSON text; throws when the file is missing or unreadable. */
export declare const catalogueText: () => string;

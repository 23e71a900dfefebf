/**
 * Images: making sure one is there (pulling with progress when a registry answers), building one
 * from a Dockerfile, and the offline base image. The code lives in `./images/`.
 */
export { BASE_IMAGE, BASE_IMAGE_SCRIPT, buildBaseImage, type BuildBaseImageOptions, type BuildBaseImageResult } from './images/base-image.js';
export { buildImage, type BuildImageOptions, type BuildImageResult, type BuildProgressEvent } from './images/build-image.js';
export { ensureImage, type EnsureImageOptions, type PullPolicy } from './images/ensure-image.js';
export type { PullEvent, PullLayerEvent, PullStatusEvent } from './images/pull-progress.js';

/** What a benchmark's figures were measured on, for its JSON results. */
import { availableParallelism } from 'node:os';
import type Dockerode from 'dockerode';

export async function benchEnvironment(docker: Dockerode): Promise<{ date: string; node: string; cpus: number; dockerServerVersion: string }> {
  const version = await docker.version();
  return { date: new Date().toISOString(), node: process.version, cpus: availableParallelism(), dockerServerVersion: version.Version };
}

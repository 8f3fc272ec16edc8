export * from './skip';

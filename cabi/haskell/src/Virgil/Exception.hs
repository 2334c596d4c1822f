{-# LANGUAGE ExistentialQuantification #-}
{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}

-- | Structured exceptions (ABI.md section 6): the exception record, the reply envelope, the
-- conversion of any Haskell 'SomeException' into a record, and exception types that let guest
-- code raise named exceptions with a call stack and chain causes.
--
-- How a 'SomeException' becomes a record:
--
-- * @name@ is the exception's type, from 'Typeable' (@ErrorCall@, @ArithException@,
--   @IOException@), or the name given to 'raise';
-- * @message@ is 'displayException' (for 'ErrorCall' the message without its location);
-- * @traceback@ comes from the 'CallStack' of 'raise' / 'raiseFrom' / 'throwCaused', or from
--   the location that @error@ attaches to an 'ErrorCall'; oldest call first;
-- * @cause@ comes from 'raiseFrom', 'throwCaused' and 'wrapException', and a record that
--   crossed from another language keeps its own chain.
module Virgil.Exception
  ( -- * Records
    Frame (..)
  , ExceptionRecord (..)
  , Envelope (..)
  , exceptionRecord
  , language
  , maxChain
  , maxTraceback
    -- * Raising
  , VirgilException (..)
  , raise
  , raiseFrom
  , virgilError
  , Caused (..)
  , throwCaused
  , wrapException
  , Annotated (..)
  , annotate
    -- * Converting
  , toExceptionRecord
  , callStackFrames
  , parseCallStackText
  , limitRecord
  , exceptionTypeName
  , AllocationFailed (..)
  ) where

import Control.Exception
import Data.List (foldl')
import Data.Text (Text)
import qualified Data.Text as T
import Data.Typeable (typeOf)
import GHC.Stack (CallStack, HasCallStack, SrcLoc (..), callStack, getCallStack)
import Virgil.Msgpack

-- | The language of this kit's records.
language :: Text
language = "haskell"

-- | The most records in a chain (the outermost counts as one).
maxChain :: Int
maxChain = 256

-- | The most frames in one traceback.
maxTraceback :: Int
maxTraceback = 4096

-- | One traceback frame; 'frameLine' and 'frameColumn' are 0 and 'frameFile' empty when unknown.
data Frame = Frame
  { frameFunction :: !Text
  , frameFile :: !Text
  , frameLine :: !Int
  , frameColumn :: !Int
  }
  deriving (Eq, Show)

-- | An exception record: this level's name and message, its frames (oldest call first), its
-- cause and notes.
data ExceptionRecord = ExceptionRecord
  { excName :: !Text
  , excMessage :: !Text
  , excLanguage :: !Text
  , excTraceback :: [Frame]
  , excCause :: Maybe ExceptionRecord
  , excNotes :: [Text]
  }
  deriving (Eq, Show)

-- | A record can be thrown, so that an exception that crossed from elsewhere can be rethrown as
-- it is.
instance Exception ExceptionRecord where
  displayException r = T.unpack (excName r <> ": " <> excMessage r)

-- | A record of this language with no frames, cause or notes.
exceptionRecord :: Text -> Text -> ExceptionRecord
exceptionRecord name msg = ExceptionRecord name msg language [] Nothing []

instance ToMsgpack Frame where
  toMsgpack (Frame fn file line col) =
    Map
      [ (Str "function", Str fn)
      , (Str "file", Str file)
      , (Str "line", Int (toInteger line))
      , (Str "column", Int (toInteger col))
      ]

instance FromMsgpack Frame where
  fromMsgpack (Map kvs) =
    Frame
      <$> optionalKey "function" T.empty kvs
      <*> optionalKey "file" T.empty kvs
      <*> optionalKey "line" 0 kvs
      <*> optionalKey "column" 0 kvs
  fromMsgpack v = typeMismatch "a frame map" v

-- | Canonical key order: name, message, language, traceback, cause, notes (only when non-empty).
instance ToMsgpack ExceptionRecord where
  toMsgpack r =
    Map
      ( [ (Str "name", Str (excName r))
        , (Str "message", Str (excMessage r))
        , (Str "language", Str (excLanguage r))
        , (Str "traceback", Array (map toMsgpack (excTraceback r)))
        , (Str "cause", maybe Nil toMsgpack (excCause r))
        ]
          ++ [(Str "notes", Array (map Str (excNotes r))) | not (null (excNotes r))]
      )

-- | Reads a record, ignoring unknown keys at every level and taking missing or nil keys as
-- empty (only @name@ is required); rejects chains longer than 'maxChain' records and tracebacks
-- longer than 'maxTraceback' frames.
instance FromMsgpack ExceptionRecord where
  fromMsgpack = recordAt 1

recordAt :: Int -> Value -> Either FromError ExceptionRecord
recordAt level (Map kvs)
  | level > maxChain =
      Left (FromError [] ("cause chain longer than " <> T.pack (show maxChain) <> " records"))
  | otherwise = do
      name <- case lookupKey "name" kvs of
        Just (Str s) -> Right s
        Just v -> inside ".name" (typeMismatch "str" v)
        Nothing -> Left (FromError [] "exception record without a name")
      message <- optionalKey "message" T.empty kvs
      lang <- optionalKey "language" T.empty kvs
      frames <- case lookupKey "traceback" kvs of
        Just (Array xs)
          | length xs > maxTraceback ->
              Left (FromError [".traceback"] ("longer than " <> T.pack (show maxTraceback) <> " frames"))
        _ -> optionalKey "traceback" [] kvs
      cause <- case lookupKey "cause" kvs of
        Nothing -> Right Nothing
        Just Nil -> Right Nothing
        Just v -> Just <$> inside ".cause" (recordAt (level + 1) v)
      notes <- optionalKey "notes" [] kvs
      pure (ExceptionRecord name message lang frames cause notes)
recordAt _ v = typeMismatch "an exception record map" v

lookupKey :: Text -> [(Value, Value)] -> Maybe Value
lookupKey k = lookup (Str k)

-- | A key that may be missing or nil.
optionalKey :: FromMsgpack a => Text -> a -> [(Value, Value)] -> Either FromError a
optionalKey k def kvs = case lookupKey k kvs of
  Nothing -> Right def
  Just Nil -> Right def
  Just v -> inside ("." <> k) (fromMsgpack v)

-- | A reply envelope: @{"ok": value}@ or @{"error": exception}@.
data Envelope = Ok Value | Failure ExceptionRecord
  deriving (Eq, Show)

instance ToMsgpack Envelope where
  toMsgpack (Ok v) = Map [(Str "ok", v)]
  toMsgpack (Failure r) = Map [(Str "error", toMsgpack r)]

instance FromMsgpack Envelope where
  fromMsgpack (Map [(Str "ok", v)]) = Right (Ok v)
  fromMsgpack (Map [(Str "error", r)]) = Failure <$> inside ".error" (fromMsgpack r)
  fromMsgpack v = typeMismatch "a reply envelope" v

------------------------------------------------------------------------------------------------
-- Raising

-- | An exception with a name of the guest's choosing (@ValueError@, @OverflowError@), a message,
-- an optional cause, notes and the call stack where it was raised. Use 'raise', 'raiseFrom' and
-- 'virgilError' rather than the constructor, so that the call stack is filled in.
data VirgilException = VirgilException
  { virgilName :: Text
  , virgilMessage :: Text
  , virgilCause :: Maybe SomeException
  , virgilNotes :: [Text]
  , virgilCallStack :: CallStack
  }

instance Show VirgilException where
  show e = T.unpack (virgilName e <> ": " <> virgilMessage e)

instance Exception VirgilException

-- | Throws a named exception, recording the call stack:
-- @raise "ValueError" "stats of an empty list"@.
raise :: HasCallStack => Text -> Text -> IO a
raise name msg = throwIO (VirgilException name msg Nothing [] callStack)

-- | Throws a named exception caused by another one.
raiseFrom :: (HasCallStack, Exception e) => Text -> Text -> e -> IO a
raiseFrom name msg cause = throwIO (VirgilException name msg (Just (toException cause)) [] callStack)

-- | 'raise' for pure code, like 'error'.
virgilError :: HasCallStack => Text -> Text -> a
virgilError name msg = throw (VirgilException name msg Nothing [] callStack)

-- | Any exception, thrown with a cause and the call stack where it was thrown: its name and
-- message come from the wrapped exception, as if it had been thrown itself.
data Caused = forall e. Exception e => Caused e SomeException CallStack

instance Show Caused where
  show (Caused e _ _) = displayException e

instance Exception Caused where
  displayException (Caused e _ _) = displayException e

-- | Throws @e@ with @cause@ as its cause: @throwCaused (userError "load failed") ioErr@.
throwCaused :: (HasCallStack, Exception e, Exception c) => e -> c -> IO a
throwCaused e cause = throwIO (Caused e (toException cause) callStack)

-- | Runs an action and rethrows any synchronous exception it throws as @wrap ex@, caused by
-- @ex@. Asynchronous exceptions pass through.
wrapException :: (HasCallStack, Exception e) => (SomeException -> e) -> IO a -> IO a
wrapException wrap action = action `catch` \(ex :: SomeException) ->
  case fromException ex :: Maybe SomeAsyncException of
    Just _ -> throwIO ex
    Nothing -> throwIO (Caused (wrap ex) ex callStack)

-- | An exception with notes added (the record's @notes@).
data Annotated = Annotated [Text] SomeException

instance Show Annotated where
  show (Annotated _ e) = displayException e

instance Exception Annotated where
  displayException (Annotated _ e) = displayException e

-- | Adds a note to any exception the action throws.
annotate :: Text -> IO a -> IO a
annotate note action = action `catch` \(ex :: SomeException) -> case fromException ex of
  Just (Annotated notes inner) -> throwIO (Annotated (notes ++ [note]) inner)
  Nothing -> throwIO (Annotated [note] ex)

-- | The guest could not allocate a buffer of this many bytes for its reply (a
-- @virgil.InternalError@).
newtype AllocationFailed = AllocationFailed Int
  deriving (Show)

instance Exception AllocationFailed where
  displayException (AllocationFailed n) =
    "the guest could not allocate " ++ show n ++ " bytes for its reply"

------------------------------------------------------------------------------------------------
-- Converting

-- | The record of any exception, its causes included, within the limits of a chain of
-- 'maxChain' records and tracebacks of 'maxTraceback' frames (cut with a note when longer).
toExceptionRecord :: SomeException -> ExceptionRecord
toExceptionRecord = limitRecord . describe

describe :: SomeException -> ExceptionRecord
describe se
  | Just (r :: ExceptionRecord) <- fromException se = r
  | Just (VirgilException name msg cause notes stack) <- fromException se =
      ExceptionRecord name msg language (callStackFrames stack) (describe <$> cause) notes
  | Just (Caused e cause stack) <- fromException se =
      let base = describe (toException e)
          frames = callStackFrames stack
       in base
            { excTraceback = if null frames then excTraceback base else frames
            , excCause = Just (describe cause)
            }
  | Just (Annotated notes inner) <- fromException se =
      let base = describe inner in base {excNotes = excNotes base ++ notes}
  | Just (ErrorCallWithLocation msg loc) <- fromException se =
      ExceptionRecord "ErrorCall" (T.pack msg) language (parseCallStackText loc) Nothing []
  | Just (EncodeError msg) <- fromException se = exceptionRecord "virgil.ResultError" msg
  | Just e@(AllocationFailed _) <- fromException se =
      exceptionRecord "virgil.InternalError" (T.pack (displayException e))
  | Just (SomeAsyncException e) <- fromException se =
      exceptionRecord (exceptionTypeName e) (T.pack (displayException e))
  | SomeException e <- se = exceptionRecord (exceptionTypeName e) (T.pack (displayException e))

-- | The name of an exception's type: @ErrorCall@, @ArithException@, @IOException@.
exceptionTypeName :: Exception e => e -> Text
exceptionTypeName = T.pack . show . typeOf

-- | Cuts a chain longer than 'maxChain' records and tracebacks longer than 'maxTraceback'
-- frames (keeping the newest frames), saying so in a note.
limitRecord :: ExceptionRecord -> ExceptionRecord
limitRecord = go 1
  where
    go level r =
      let r' = cutFrames r
       in case excCause r' of
            Nothing -> r'
            Just c
              | level >= maxChain ->
                  r'
                    { excCause = Nothing
                    , excNotes =
                        excNotes r'
                          ++ [ "cause chain cut at " <> T.pack (show maxChain) <> " records; "
                                <> T.pack (show (chainLength c)) <> " more dropped"
                             ]
                    }
              | otherwise -> r' {excCause = Just (go (level + 1) c)}
    cutFrames r
      | n <= maxTraceback = r
      | otherwise =
          r
            { excTraceback = drop (n - maxTraceback) (excTraceback r)
            , excNotes =
                excNotes r
                  ++ [ "traceback cut to the newest " <> T.pack (show maxTraceback) <> " of "
                        <> T.pack (show n) <> " frames"
                     ]
            }
      where
        n = length (excTraceback r)
    chainLength :: ExceptionRecord -> Int
    chainLength = foldl' (\k _ -> k + 1) 0 . takeChain
    takeChain r = r : maybe [] takeChain (excCause r)

-- | The frames of a call stack, oldest call first. GHC records, for each call, the function
-- called and the location of the call, which lies in the function that made it (the next entry's
-- function). A frame names that enclosing function (qualified by its module), or only the module
-- for the outermost call, whose caller has no 'HasCallStack'.
callStackFrames :: CallStack -> [Frame]
callStackFrames cs =
  framesOf
    [ (T.pack fn, T.pack (srcLocFile l), srcLocStartLine l, srcLocStartCol l, T.pack (srcLocModule l))
    | (fn, l) <- getCallStack cs
    ]

-- Entries newest first: (function called, file, line, column, module of the call site).
framesOf :: [(Text, Text, Int, Int, Text)] -> [Frame]
framesOf = reverse . go
  where
    go [] = []
    go ((_, file, line, col, m) : rest) = Frame (enclosing m rest) file line col : go rest
    enclosing m ((fn, _, _, _, _) : _) = if T.null m then fn else m <> "." <> fn
    enclosing m [] = m

-- | The frames of a call stack printed by 'GHC.Stack.prettyCallStack', as an 'ErrorCall'
-- carries it: lines like @"  error, called at src/M.hs:12:5 in main:M"@. Lines that do not parse
-- become frames with only a function name.
parseCallStackText :: String -> [Frame]
parseCallStackText txt = framesOf (concatMap entry (T.lines (T.pack txt)))
  where
    entry line = case T.breakOn ", called at " (T.strip line) of
      (fn, rest)
        | not (T.null rest) -> [location fn (T.drop (T.length ", called at ") rest)]
        | T.null (T.strip line) || "CallStack (from" `T.isPrefixOf` T.strip line -> []
        | otherwise -> [(T.strip line, T.empty, 0, 0, T.empty)]
    location fn loc =
      let (place, pkgMod) = T.breakOnEnd " in " loc
          place' = if T.null place then loc else T.dropEnd (T.length " in ") place
          m = if T.null place then T.empty else T.takeWhileEnd (/= ':') pkgMod
          parts = T.splitOn ":" place'
       in case reverse parts of
            (c : l : fileParts@(_ : _))
              | Just l' <- number l, Just c' <- number c ->
                  (fn, T.intercalate ":" (reverse fileParts), l', c', m)
            _ -> (fn, place', 0, 0, m)
    number t = case reads (T.unpack t) of
      [(n, "")] -> Just n
      _ -> Nothing
